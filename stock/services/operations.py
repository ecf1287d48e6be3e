"""Purchases, waste, transfers, stocktakes and recalls: every one writes its movements."""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from grocery.audit import log_action
from grocery.errors import Conflict, DomainError

from ..models import (
    Location,
    Lot,
    Movement,
    Product,
    Purchase,
    PurchaseLine,
    Stocktake,
    StocktakeLine,
    Transfer,
    Waste,
)
from .ledger import _quantity, by_pk, check_quantity, lot_receive, movements_record


def _actor(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _line_error(index: int, exc: DomainError) -> DomainError:
    field = next(iter(exc.fields), "quantity")
    return type(exc)(
        exc.message, exc.code, fields={f"lines[{index}].{field}": [exc.message]}, extra=exc.extra
    )


# --- Purchases ---------------------------------------------------------------------------------


@transaction.atomic
def purchase_create(
    *,
    supplier: str,
    site,
    lines: list[dict[str, Any]],
    actor=None,
    ordered_on: datetime.date | None = None,
    reference: str = "",
    origin: str = Lot.Origin.PURCHASE,
) -> Purchase:
    if not supplier.strip():
        raise DomainError.for_field("supplier", "Indiquez le fournisseur.", "required")
    if origin not in (Lot.Origin.PURCHASE, Lot.Origin.PNAA):
        raise DomainError.for_field(
            "origin", "Un achat est financé sur fonds propres ou PNAA.", "invalid_origin"
        )
    if not lines:
        raise DomainError.for_field("lines", "Un achat contient au moins une ligne.", "lines_required")
    rows = []
    for index, data in enumerate(lines):
        product = data.get("product")
        if isinstance(product, int | str):
            product = by_pk(Product, product)
        if product is None:
            raise DomainError.for_field(f"lines[{index}].product", "Produit introuvable.", "unknown_product")
        try:
            quantity = check_quantity(product, data.get("quantity"))
            unit_cost = Decimal(str(data.get("unit_cost"))).quantize(Decimal("0.01"))
        except DomainError as exc:
            raise _line_error(index, exc)
        except Exception:  # noqa: BLE001 - an unreadable price
            raise DomainError.for_field(f"lines[{index}].unit_cost", "Prix invalide.", "invalid_price")
        if unit_cost < 0:
            raise DomainError.for_field(f"lines[{index}].unit_cost", "Prix invalide.", "invalid_price")
        if data.get("use_by") and data.get("best_before"):
            raise DomainError.for_field(
                f"lines[{index}].best_before", "Indiquez soit une DLC, soit une DDM.", "two_dates"
            )
        rows.append(
            PurchaseLine(
                product=product,
                quantity=quantity,
                unit_cost=unit_cost,
                use_by=data.get("use_by"),
                best_before=data.get("best_before"),
                lot_number=(data.get("lot_number") or "")[:60],
            )
        )
    purchase = Purchase.objects.create(
        supplier=supplier.strip(),
        site=site,
        ordered_on=ordered_on or timezone.localdate(),
        reference=reference,
        origin=origin,
        created_by=_actor(actor),
    )
    for row in rows:
        row.purchase = purchase
    PurchaseLine.objects.bulk_create(rows)
    log_action(actor, "stock.purchase_created", purchase, supplier=purchase.supplier, lines=len(rows))
    return purchase


@transaction.atomic
def purchase_receive(
    *, purchase: Purchase, location: Location, actor=None, received_on: datetime.date | None = None
) -> Purchase:
    purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
    if purchase.status == Purchase.Status.RECEIVED:
        raise Conflict("Cet achat a déjà été reçu.", "purchase_already_received")
    if location.site_id != purchase.site_id:
        raise DomainError.for_field(
            "location", "L'emplacement doit appartenir à l'épicerie de l'achat.", "invalid_location"
        )
    for index, line in enumerate(purchase.lines.select_related("product")):
        try:
            line.lot = lot_receive(
                product=line.product,
                location=location,
                origin=purchase.origin,
                quantity=line.quantity,
                use_by=line.use_by,
                best_before=line.best_before,
                lot_number=line.lot_number,
                received_on=received_on,
                unit_cost=line.unit_cost,
                document_type="purchase",
                document_id=str(purchase.pk),
                actor=actor,
                audit=False,
            )
        except DomainError as exc:
            raise _line_error(index, exc)
        line.save(update_fields=["lot"])
    purchase.status = Purchase.Status.RECEIVED
    purchase.received_at = timezone.now()
    purchase.save(update_fields=["status", "received_at"])
    log_action(actor, "stock.purchase_received", purchase, location=location.pk)
    return purchase


# --- Waste -------------------------------------------------------------------------------------


@transaction.atomic
def waste_record(*, lot: Lot, quantity, reason: str, actor=None, note: str = "") -> Waste:
    """Take goods out of stock that cannot be distributed (expired, damaged, recall, cold chain)."""
    if reason not in Waste.Reason.values:
        raise DomainError.for_field("reason", "Motif inconnu.", "invalid_reason")
    quantity = check_quantity(lot.product, quantity)
    waste = Waste.objects.create(
        lot=lot, site_id=lot.site_id, quantity=quantity, reason=reason, note=note[:200], actor=_actor(actor)
    )
    movements_record(
        entries=[(lot.pk, -quantity)],
        kind=Movement.Kind.WASTE,
        document_type="waste",
        document_id=str(waste.pk),
        actor=actor,
        reason=f"{waste.get_reason_display()} {note}".strip(),
    )
    log_action(actor, "stock.waste_recorded", waste, lot=lot.pk, quantity=quantity, reason=reason)
    return waste


# --- Transfers ---------------------------------------------------------------------------------


@transaction.atomic
def transfer_create(*, lot: Lot, to_location: Location, quantity, actor=None, note: str = "") -> Transfer:
    """Move part or all of a lot to another location, of this site or another one."""
    quantity = check_quantity(lot.product, quantity)
    if to_location.pk == lot.location_id:
        raise DomainError.for_field("to_location", "Choisissez un autre emplacement.", "same_location")
    if not to_location.is_active:
        raise DomainError.for_field("to_location", "Emplacement inactif.", "invalid_location")
    transfer = Transfer.objects.create(
        source=lot, to_location=to_location, quantity=quantity, note=note[:200], actor=_actor(actor)
    )
    # Out first: a transfer of more than is on hand stops here, before anything arrives.
    try:
        movements_record(
            entries=[(lot.pk, -quantity)],
            kind=Movement.Kind.TRANSFER_OUT,
            document_type="transfer",
            document_id=str(transfer.pk),
            actor=actor,
            reason=note,
        )
    except DomainError as exc:
        if exc.code == "out_of_stock":
            raise Conflict.for_field(
                "quantity",
                f"Quantité supérieure au stock du lot ({exc.extra.get('available')}).",
                "out_of_stock",
                extra=exc.extra,
            )
        raise
    destination = lot_receive(
        product=lot.product,
        location=to_location,
        origin=lot.origin,
        quantity=quantity,
        use_by=lot.use_by,
        best_before=lot.best_before,
        best_before_month_only=lot.best_before_month_only,
        lot_number=lot.lot_number,
        received_on=lot.received_on,
        unit_cost=lot.unit_cost,
        partner=lot.partner,
        document_type="transfer",
        document_id=str(transfer.pk),
        actor=actor,
        reason=note,
        kind=Movement.Kind.TRANSFER_IN,
        audit=False,
    )
    transfer.destination = destination
    transfer.save(update_fields=["destination"])
    log_action(
        actor,
        "stock.transfer_created",
        transfer,
        source=lot.pk,
        destination=destination.pk,
        quantity=quantity,
        to_location=to_location.pk,
    )
    return transfer


# --- Stocktakes --------------------------------------------------------------------------------


@transaction.atomic
def stocktake_start(*, location: Location, actor=None, note: str = "") -> Stocktake:
    """Open the count sheet of a location: one line per lot holding stock there."""
    if Stocktake.objects.filter(location=location, status=Stocktake.Status.OPEN).exists():
        raise Conflict.for_field(
            "location", "Un inventaire est déjà en cours pour cet emplacement.", "stocktake_open"
        )
    stocktake = Stocktake.objects.create(
        location=location, site_id=location.site_id, started_by=_actor(actor), note=note[:200]
    )
    lots = Lot.objects.filter(location=location, quantity_on_hand__gt=0).order_by("product__name", "pk")
    StocktakeLine.objects.bulk_create(
        [StocktakeLine(stocktake=stocktake, lot=lot, expected_quantity=lot.quantity_on_hand) for lot in lots]
    )
    log_action(actor, "stock.stocktake_started", stocktake, location=location.pk)
    return stocktake


def _lock_open(stocktake: Stocktake) -> Stocktake:
    stocktake = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
    if stocktake.status != Stocktake.Status.OPEN:
        raise Conflict(
            "Cet inventaire est validé ou annulé : il ne peut plus être modifié.", "stocktake_locked"
        )
    return stocktake


@transaction.atomic
def stocktake_count(*, stocktake: Stocktake, counts: dict[int, Any], actor=None) -> Stocktake:
    """Record counted quantities, by line id. A count may be corrected until posting."""
    stocktake = _lock_open(stocktake)
    lines = {line.pk: line for line in stocktake.lines.select_related("lot__product")}
    changed = []
    for key, value in counts.items():
        line = lines.get(int(key))
        if line is None:
            raise DomainError.for_field("counts", "Ligne inconnue pour cet inventaire.", "unknown_line")
        if value in (None, ""):
            line.counted_quantity = None
        else:
            quantity = _quantity(value, f"counts[{key}]")
            if quantity < 0:
                raise DomainError.for_field(
                    f"counts[{key}]", "Une quantité comptée ne peut pas être négative.", "invalid_quantity"
                )
            if line.lot.product.unit == "piece" and quantity != quantity.to_integral_value():
                raise DomainError.for_field(
                    f"counts[{key}]", "Ce produit se compte à la pièce.", "invalid_unit"
                )
            line.counted_quantity = quantity
        changed.append(line)
    StocktakeLine.objects.bulk_update(changed, ["counted_quantity"])
    log_action(actor, "stock.stocktake_counted", stocktake, lines=len(changed))
    return stocktake


@transaction.atomic
def stocktake_post(*, stocktake: Stocktake, actor=None) -> Stocktake:
    """Validate the count: each difference with the ledger becomes an adjustment movement."""
    stocktake = _lock_open(stocktake)
    lines = list(stocktake.lines.all())
    missing = [line.pk for line in lines if line.counted_quantity is None]
    if missing:
        raise DomainError.for_field(
            "counts",
            f"{len(missing)} ligne(s) non comptée(s) : saisissez 0 pour un lot absent.",
            "stocktake_incomplete",
        )
    current = dict(
        Lot.objects.select_for_update()
        .filter(pk__in=[line.lot_id for line in lines])
        .order_by("pk")
        .values_list("pk", "quantity_on_hand")
    )
    entries = []
    for line in lines:
        line.posted_difference = line.counted_quantity - current[line.lot_id]
        if line.posted_difference:
            entries.append((line.lot_id, line.posted_difference))
    StocktakeLine.objects.bulk_update(lines, ["posted_difference"])
    movements_record(
        entries=entries,
        kind=Movement.Kind.ADJUSTMENT,
        document_type="stocktake",
        document_id=str(stocktake.pk),
        actor=actor,
        reason="Inventaire",
    )
    stocktake.status = Stocktake.Status.POSTED
    stocktake.posted_at = timezone.now()
    stocktake.posted_by = _actor(actor)
    stocktake.save(update_fields=["status", "posted_at", "posted_by"])
    log_action(actor, "stock.stocktake_posted", stocktake, adjustments=len(entries))
    return stocktake


@transaction.atomic
def stocktake_cancel(*, stocktake: Stocktake, actor=None) -> Stocktake:
    stocktake = _lock_open(stocktake)
    stocktake.status = Stocktake.Status.CANCELLED
    stocktake.save(update_fields=["status"])
    log_action(actor, "stock.stocktake_cancelled", stocktake)
    return stocktake


# --- Recall ------------------------------------------------------------------------------------


@transaction.atomic
def recall_withdraw(*, product: Product, lot_number: str, actor=None, note: str = "") -> list[Waste]:
    """Take every remaining unit of a recalled lot number out of stock (waste, reason recall)."""
    lots = list(
        Lot.objects.select_for_update()
        .filter(product=product, lot_number__iexact=lot_number.strip(), quantity_on_hand__gt=0)
        .select_related("product")
        .order_by("pk")
    )
    if not lot_number.strip():
        raise DomainError.for_field("lot_number", "Indiquez le numéro de lot.", "required")
    return [
        waste_record(
            lot=lot,
            quantity=lot.quantity_on_hand,
            reason=Waste.Reason.RECALL,
            actor=actor,
            note=note or f"Rappel lot {lot_number}",
        )
        for lot in lots
    ]
