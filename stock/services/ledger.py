"""The ledger: every change of a lot's quantity is written here, with its movement row."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Value, When
from django.db.models.functions import Round
from django.utils import timezone

from grocery.audit import log_action
from grocery.errors import Conflict, DomainError, NotFound

from ..models import Lot, Movement

QUANTITY_FIELD = DecimalField(max_digits=12, decimal_places=3)


def by_pk(model, value):
    """The row with this id, or None for an id that is not a number or does not exist."""
    text = str(value).strip()
    return model.objects.filter(pk=int(text)).first() if text.isdigit() and len(text) < 19 else None


def _quantity(value, field: str = "quantity") -> Decimal:
    try:
        quantity = Decimal(str(value)).quantize(Decimal("0.001"))
    except Exception:  # noqa: BLE001 - any unparsable value is bad input
        raise DomainError.for_field(field, "Quantité invalide.", "invalid_quantity")
    if not quantity.is_finite():
        raise DomainError.for_field(field, "Quantité invalide.", "invalid_quantity")
    return quantity


def check_quantity(product, value, field: str = "quantity") -> Decimal:
    """A positive quantity that fits the product's unit (whole numbers for pieces)."""
    quantity = _quantity(value, field)
    if quantity <= 0:
        raise DomainError.for_field(field, "La quantité doit être supérieure à zéro.", "invalid_quantity")
    if product.unit == product.Unit.PIECE and quantity != quantity.to_integral_value():
        raise DomainError.for_field(
            field, "Ce produit se compte à la pièce : quantité entière attendue.", "invalid_unit"
        )
    return quantity


@transaction.atomic
def movements_record(
    *,
    entries: Iterable[tuple[int, Decimal]],
    kind: str,
    document_type: str,
    document_id: str,
    actor=None,
    reason: str = "",
    at: datetime | None = None,
) -> list[Movement]:
    """Write movements for (lot id, signed quantity) entries and update the lots' quantities.

    A constant number of queries whatever the number of entries: the lots are locked in id
    order, updated by one guarded UPDATE (F() expressions), and the movements bulk-inserted.
    A lot that would go below zero is refused by the database's check constraint, turned into
    `out_of_stock` (409), and nothing is written.
    """
    return _movements_write(
        entries=entries,
        kind=kind,
        document_type=document_type,
        document_id=document_id,
        actor=actor,
        reason=reason,
        at=at,
        locked_lots=None,
    )


def movements_record_locked(
    *,
    locked_lots: Iterable[Lot],
    entries: Iterable[tuple[int, Decimal]],
    kind: str,
    document_type: str,
    document_id: str,
    actor=None,
    reason: str = "",
    at: datetime | None = None,
) -> list[Movement]:
    """`movements_record` for a caller inside its transaction that has already locked the lots
    (SELECT … FOR UPDATE, in id order) and checked their quantities: the sale. No second lock
    and no savepoint; the database's check constraint still refuses a negative quantity, and
    that IntegrityError aborts the caller's transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("movements_record_locked must run inside a transaction.")
    return _movements_write(
        entries=entries,
        kind=kind,
        document_type=document_type,
        document_id=document_id,
        actor=actor,
        reason=reason,
        at=at,
        locked_lots=list(locked_lots),
    )


def _movements_write(
    *, entries, kind, document_type, document_id, actor, reason, at, locked_lots
) -> list[Movement]:
    if kind not in Movement.Kind.values:
        raise DomainError.for_field("kind", "Type de mouvement inconnu.", "invalid_kind")
    entries = [(int(lot_id), _quantity(quantity)) for lot_id, quantity in entries]
    if not entries:
        return []
    sign = Movement.SIGNS[Movement.Kind(kind)]
    for _lot_id, quantity in entries:
        if quantity == 0 or (sign > 0 and quantity < 0) or (sign < 0 and quantity > 0):
            raise DomainError.for_field(
                "quantity",
                "La quantité doit être positive."
                if sign >= 0 and quantity <= 0
                else "Quantité incompatible avec ce type de mouvement.",
                "invalid_quantity",
            )
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for lot_id, quantity in entries:
        deltas[lot_id] += quantity

    if locked_lots is None:
        lots = {
            row["pk"]: row
            for row in Lot.objects.select_for_update()
            .filter(pk__in=deltas)
            .order_by("pk")
            .values("pk", "site_id", "product_id", "quantity_on_hand")
        }
    else:
        lots = {
            lot.pk: {
                "pk": lot.pk,
                "site_id": lot.site_id,
                "product_id": lot.product_id,
                "quantity_on_hand": lot.quantity_on_hand,
            }
            for lot in locked_lots
            if lot.pk in deltas
        }
    missing = set(deltas) - set(lots)
    if missing:
        raise NotFound(f"Lot introuvable : {', '.join(map(str, sorted(missing)))}.", "unknown_lot")

    changed = {lot_id: delta for lot_id, delta in deltas.items() if delta != 0}
    if changed:
        new_quantity = Case(
            *(When(pk=lot_id, then=Value(delta)) for lot_id, delta in changed.items()),
            output_field=QUANTITY_FIELD,
        )
        try:
            # Without locked lots, a savepoint lets a refusal be reported as `out_of_stock`; a
            # caller holding the locks has checked the quantities, so a failure here can only
            # abort its whole transaction, and the savepoint would be two statements for nothing.
            with transaction.atomic(savepoint=locked_lots is None):
                Lot.objects.filter(pk__in=changed).update(
                    # Round: SQLite computes in floating point; 0.3 - 0.1 - 0.2 must be 0, not -2e-17.
                    quantity_on_hand=Round(
                        F("quantity_on_hand") + new_quantity, 3, output_field=QUANTITY_FIELD
                    )
                )
        except IntegrityError:
            if locked_lots is not None:
                raise
            short = {
                lot_id: lots[lot_id]["quantity_on_hand"]
                for lot_id, delta in changed.items()
                if lots[lot_id]["quantity_on_hand"] + delta < 0
            }
            lot_id, available = next(iter(short.items())) if short else (next(iter(changed)), None)
            raise Conflict(
                "Stock insuffisant pour ce lot.",
                "out_of_stock",
                fields={"quantity": ["Stock insuffisant."]},
                extra={"lot": lot_id, "available": str(available) if available is not None else None},
            )

    when = at or timezone.now()
    movements = [
        Movement(
            lot_id=lot_id,
            site_id=lots[lot_id]["site_id"],
            product_id=lots[lot_id]["product_id"],
            quantity=quantity,
            kind=kind,
            at=when,
            actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
            reason=reason[:200],
            document_type=document_type,
            document_id=str(document_id),
        )
        for lot_id, quantity in entries
    ]
    return Movement.objects.bulk_create(movements)


@transaction.atomic
def lot_receive(
    *,
    product,
    location,
    origin: str,
    quantity,
    document_type: str,
    document_id: str,
    actor=None,
    use_by=None,
    best_before=None,
    best_before_month_only: bool = False,
    lot_number: str = "",
    received_on=None,
    unit_cost=None,
    partner=None,
    reason: str = "",
    kind: str = Movement.Kind.RECEIPT,
    audit: bool = True,
) -> Lot:
    """Create a lot and its receipt movement (donation, purchase, transfer arrival)."""
    quantity = check_quantity(product, quantity)
    received_on = received_on or timezone.localdate()
    if use_by is not None and best_before is not None:
        raise DomainError.for_field(
            "best_before", "Un lot a soit une DLC, soit une DDM, pas les deux.", "two_dates"
        )
    if location.site_id is None or not location.is_active:
        raise DomainError.for_field("location", "Emplacement inactif.", "invalid_location")
    if use_by is not None and use_by < received_on and kind == Movement.Kind.RECEIPT:
        raise DomainError.for_field("use_by", "La DLC est déjà passée : lot refusé.", "use_by_passed")
    if origin not in Lot.Origin.values:
        raise DomainError.for_field("origin", "Origine inconnue.", "invalid_origin")
    lot = Lot.objects.create(
        product=product,
        location=location,
        site_id=location.site_id,
        origin=origin,
        partner=partner,
        use_by=use_by,
        best_before=best_before,
        best_before_month_only=best_before_month_only,
        lot_number=lot_number.strip(),
        received_on=received_on,
        unit_cost=unit_cost,
        document_type=document_type,
        document_id=str(document_id),
        initial_quantity=quantity,
    )
    movements_record(
        entries=[(lot.pk, quantity)],
        kind=kind,
        document_type=document_type,
        document_id=str(document_id),
        actor=actor,
        reason=reason,
    )
    lot.quantity_on_hand = quantity
    if audit:
        log_action(actor, "stock.lot_received", lot, product=product.pk, quantity=quantity, origin=origin)
    return lot
