"""Donations: logged by partners, received by staff (lots + receipt movements), attested."""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from grocery.audit import log_action
from grocery.errors import Conflict, DomainError
from grocery.models import PartnerOrganisation

from ..barcodes import InvalidBarcode
from ..models import (
    Attestation,
    AttestationCounter,
    Category,
    Donation,
    DonationLine,
    Location,
    Lot,
    Movement,
    Product,
    StockSettings,
)
from ..selectors import product_by_barcode
from .ledger import _quantity, by_pk, check_quantity, lot_receive

CENT = Decimal("0.01")

ORIGIN_BY_PARTNER_KIND = {
    PartnerOrganisation.Kind.FOOD_BANK: Lot.Origin.FOOD_BANK,
    PartnerOrganisation.Kind.STORE: Lot.Origin.STORE_PICKUP,
    PartnerOrganisation.Kind.COMPANY: Lot.Origin.COMPANY_DONATION,
    PartnerOrganisation.Kind.INDIVIDUAL: Lot.Origin.INDIVIDUAL_DONATION,
    PartnerOrganisation.Kind.CHARITY: Lot.Origin.INDIVIDUAL_DONATION,  # collections by charities
    PartnerOrganisation.Kind.PUBLIC: Lot.Origin.PNAA,
}


def origin_for_partner(partner: PartnerOrganisation) -> str:
    return ORIGIN_BY_PARTNER_KIND.get(partner.kind, Lot.Origin.COMPANY_DONATION)


def _line_error(index: int, field: str, message: str, code: str, error=DomainError):
    return error(message, code, fields={f"lines[{index}].{field}": [message]})


def pickup_use_by_ok(use_by: datetime.date, pickup_on: datetime.date, settings: StockSettings) -> bool:
    """Loi Garot: at least N hours (48 by default) before the DLC at pickup.

    Dates have no hour, so the rule is counted in whole days from the pickup day: with 48 h the
    DLC must be at least two days after the pickup.
    """
    days = -(-settings.pickup_min_hours_before_dlc // 24)  # rounded up
    return use_by >= pickup_on + datetime.timedelta(days=days)


def _clean_line(
    index: int, data: dict[str, Any], *, origin: str, on_date: datetime.date, settings: StockSettings
) -> dict[str, Any]:
    """A donation line checked field by field, errors naming `lines[i].field`."""
    product = data.get("product")
    barcode = (data.get("barcode") or "").strip()
    if product is None and barcode:
        try:
            product = product_by_barcode(barcode)
        except InvalidBarcode as exc:
            raise _line_error(index, "barcode", exc.message, exc.code)
        except DomainError as exc:
            raise _line_error(index, "barcode", exc.message, exc.code, type(exc))
    if isinstance(product, int | str):
        product = by_pk(Product, product)
        if product is None:
            raise _line_error(index, "product", "Produit introuvable.", "unknown_product")
    description = (data.get("description") or "").strip()
    category = data.get("category")
    if isinstance(category, int | str):
        category = by_pk(Category, category)
    if product is None and not (description and category):
        raise _line_error(
            index,
            "product",
            "Indiquez un produit (code-barres) ou une description avec une catégorie.",
            "product_required",
        )
    try:
        if product is not None:
            quantity = check_quantity(product, data.get("quantity"), "quantity")
        else:
            quantity = _quantity(data.get("quantity"))
            if quantity <= 0:
                raise DomainError("La quantité doit être supérieure à zéro.", "invalid_quantity")
    except DomainError as exc:
        raise _line_error(index, "quantity", exc.message, exc.code)
    weight = data.get("weight_kg")
    if weight not in (None, ""):
        weight = _quantity(weight, "weight_kg")
        if weight < 0:
            raise _line_error(index, "weight_kg", "Le poids ne peut pas être négatif.", "invalid_weight")
    else:
        weight = product.weight_kg(quantity) if product is not None else None
    use_by, best_before = data.get("use_by"), data.get("best_before")
    if use_by and best_before:
        raise _line_error(index, "best_before", "Indiquez soit une DLC, soit une DDM.", "two_dates")
    if use_by and use_by < on_date:
        raise _line_error(index, "use_by", "La DLC est déjà passée.", "use_by_passed")
    if use_by and origin == Lot.Origin.STORE_PICKUP and not pickup_use_by_ok(use_by, on_date, settings):
        raise _line_error(
            index,
            "use_by",
            f"Ramasse refusée : moins de {settings.pickup_min_hours_before_dlc} h avant la DLC.",
            "pickup_too_close_to_use_by",
        )
    unit_cost = data.get("unit_cost")
    if unit_cost not in (None, ""):
        unit_cost = Decimal(str(unit_cost)).quantize(CENT)
        if unit_cost < 0:
            raise _line_error(index, "unit_cost", "Le prix ne peut pas être négatif.", "invalid_price")
    else:
        unit_cost = None
    return {
        "product": product,
        "description": description or (product.name if product else ""),
        "category": category if product is None else product.category,
        "quantity": quantity,
        "weight_kg": weight,
        "use_by": use_by or None,
        "best_before": best_before or None,
        "lot_number": (data.get("lot_number") or "").strip()[:60],
        "unit_cost": unit_cost,
    }


def _write_lines(donation: Donation, lines: list[dict[str, Any]], settings: StockSettings) -> None:
    if not lines:
        raise DomainError.for_field("lines", "Un don contient au moins une ligne.", "lines_required")
    cleaned = [
        _clean_line(index, data, origin=donation.origin, on_date=donation.donated_on, settings=settings)
        for index, data in enumerate(lines)
    ]
    DonationLine.objects.bulk_create([DonationLine(donation=donation, **line) for line in cleaned])


def _check_partner(partner, site) -> None:
    if partner is None:
        raise DomainError.for_field("partner", "Indiquez le donateur.", "partner_required")
    if not partner.is_active:
        raise DomainError.for_field("partner", "Ce partenaire n'est plus actif.", "partner_inactive")
    if site is None or not site.is_active:
        raise DomainError.for_field("site", "Épicerie inconnue ou fermée.", "invalid_site")


@transaction.atomic
def donation_create(
    *,
    partner: PartnerOrganisation,
    site,
    lines: list[dict[str, Any]],
    actor=None,
    donated_on: datetime.date | None = None,
    origin: str | None = None,
    note: str = "",
) -> Donation:
    """A partner (or staff for it) announces a donation: date, site and lines."""
    _check_partner(partner, site)
    if origin and origin not in Lot.Origin.values:
        raise DomainError.for_field("origin", "Origine inconnue.", "invalid_origin")
    donation = Donation.objects.create(
        partner=partner,
        site=site,
        donated_on=donated_on or timezone.localdate(),
        origin=origin or origin_for_partner(partner),
        note=note,
        created_by=actor,
    )
    _write_lines(donation, lines, StockSettings.get_solo())
    log_action(actor, "stock.donation_created", donation, partner=partner.pk, lines=len(lines))
    return donation


def _lock_donation(donation: Donation) -> Donation:
    return Donation.objects.select_for_update().get(pk=donation.pk)


@transaction.atomic
def donation_update(
    *,
    donation: Donation,
    lines: list[dict[str, Any]],
    actor=None,
    site=None,
    donated_on: datetime.date | None = None,
    note: str | None = None,
) -> Donation:
    """Change an announced donation (its lines are replaced). Refused once received."""
    donation = _lock_donation(donation)
    if not donation.is_editable:
        raise Conflict(
            "Ce don a déjà été reçu ou annulé : il ne peut plus être modifié.", "donation_not_editable"
        )
    if site is not None:
        _check_partner(donation.partner, site)
        donation.site = site
    if donated_on is not None:
        donation.donated_on = donated_on
    if note is not None:
        donation.note = note
    donation.save()
    donation.lines.all().delete()
    _write_lines(donation, lines, StockSettings.get_solo())
    log_action(actor, "stock.donation_updated", donation, lines=len(lines))
    return donation


@transaction.atomic
def donation_cancel(*, donation: Donation, actor=None) -> Donation:
    donation = _lock_donation(donation)
    if not donation.is_editable:
        raise Conflict("Ce don a déjà été reçu ou annulé.", "donation_not_editable")
    donation.status = Donation.Status.CANCELLED
    donation.save(update_fields=["status"])
    log_action(actor, "stock.donation_cancelled", donation)
    return donation


@transaction.atomic
def donation_receive(
    *,
    donation: Donation,
    location: Location,
    counted: dict[int, dict[str, Any]] | None = None,
    actor=None,
    received_on: datetime.date | None = None,
) -> Donation:
    """Staff take the goods in charge: counted quantities become lots and receipt movements.

    `counted` maps a line id to what was counted (`received_quantity`, and optionally
    `product`, `use_by`, `best_before`, `lot_number`, `weight_kg` when the label says otherwise,
    and `location` when a line goes elsewhere than `location`, e.g. chilled goods to the fridge).
    A line left out is taken as announced; a line counted 0 was refused. All or nothing.
    """
    donation = _lock_donation(donation)
    if donation.status == Donation.Status.RECEIVED:
        raise Conflict("Ce don a déjà été reçu.", "donation_already_received")
    if donation.status == Donation.Status.CANCELLED:
        raise Conflict("Ce don a été annulé.", "donation_cancelled")
    if location.site_id != donation.site_id:
        raise DomainError.for_field(
            "location", "L'emplacement doit appartenir à l'épicerie du don.", "invalid_location"
        )
    counted = {int(key): value for key, value in (counted or {}).items()}
    lines = list(donation.lines.select_related("product__category", "category"))
    unknown = set(counted) - {line.pk for line in lines}
    if unknown:
        raise DomainError.for_field("lines", "Ligne inconnue pour ce don.", "unknown_line")
    settings = StockSettings.get_solo()
    received_on = received_on or timezone.localdate()
    received_lots = 0
    for index, line in enumerate(lines):
        data = counted.get(line.pk, {})
        quantity = _quantity(
            data.get("received_quantity", line.quantity), f"lines[{index}].received_quantity"
        )
        if quantity < 0:
            raise _line_error(
                index, "received_quantity", "La quantité ne peut pas être négative.", "invalid_quantity"
            )
        product = data.get("product") or line.product
        if isinstance(product, int | str):
            product = by_pk(Product, product)
        line.received_quantity = quantity
        if quantity == 0:
            line.save(update_fields=["received_quantity"])
            continue
        if product is None:
            raise _line_error(
                index,
                "product",
                "Choisissez le produit de cette ligne pour la réceptionner.",
                "product_required",
            )
        use_by = data.get("use_by", line.use_by)
        best_before = data.get("best_before", line.best_before)
        if (
            use_by
            and donation.origin == Lot.Origin.STORE_PICKUP
            and not pickup_use_by_ok(use_by, received_on, settings)
        ):
            raise _line_error(
                index,
                "use_by",
                f"Ramasse refusée : moins de {settings.pickup_min_hours_before_dlc} h avant la DLC.",
                "pickup_too_close_to_use_by",
            )
        line_location = data.get("location") or location
        if isinstance(line_location, int | str):
            line_location = by_pk(Location, line_location)
        if line_location is None or line_location.site_id != donation.site_id:
            raise _line_error(
                index, "location", "L'emplacement doit appartenir à l'épicerie du don.", "invalid_location"
            )
        try:
            check_quantity(product, quantity)
            lot = lot_receive(
                product=product,
                location=line_location,
                origin=donation.origin,
                quantity=quantity,
                use_by=use_by,
                best_before=best_before,
                lot_number=data.get("lot_number", line.lot_number) or "",
                received_on=received_on,
                unit_cost=line.unit_cost,
                partner=donation.partner,
                document_type="donation",
                document_id=str(donation.pk),
                actor=actor,
                audit=False,
            )
        except DomainError as exc:
            field = next(iter(exc.fields), "quantity").replace("quantity", "received_quantity")
            raise _line_error(index, field, exc.message, exc.code, type(exc))
        line.product = product
        line.lot = lot
        line.use_by, line.best_before = use_by, best_before
        if data.get("weight_kg") not in (None, ""):
            line.weight_kg = _quantity(data["weight_kg"], f"lines[{index}].weight_kg")
        elif line.weight_kg is None or quantity != line.quantity:
            line.weight_kg = product.weight_kg(quantity)
        line.save()
        received_lots += 1
    if not received_lots:
        raise DomainError.for_field(
            "lines", "Aucune quantité reçue : annulez plutôt le don.", "nothing_received"
        )
    donation.status = Donation.Status.RECEIVED
    donation.received_at = timezone.now()
    donation.received_on = received_on
    donation.received_by = actor if actor is not None and actor.is_authenticated else None
    donation.save(update_fields=["status", "received_at", "received_on", "received_by"])
    log_action(actor, "stock.donation_received", donation, lots=received_lots, location=location.pk)
    return donation


# --- Attestations de don -----------------------------------------------------------------------


def line_valuation(line: DonationLine, taken_on: datetime.date, settings: StockSettings) -> dict[str, Any]:
    """Value of a received line for the attestation (DOMAIN.md): cost price, or the market
    reference price when the donor gave none, halved within the last days before the DLC."""
    quantity = line.received_quantity or Decimal("0")
    if line.unit_cost is not None:
        unit_value, method = line.unit_cost, "cost_price"
    else:
        unit_value, method = line.product.market_price, "reference_price"
    rate = Decimal("1")
    if line.use_by and (line.use_by - taken_on).days <= settings.near_dlc_valuation_days:
        rate = settings.near_dlc_valuation_rate
        method += "_near_use_by"
    value = (quantity * unit_value * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return {"unit_value": str(unit_value), "rate": str(rate), "value": str(value), "method": method}


VALUATION_LABELS = {
    "cost_price": "prix de revient",
    "reference_price": "prix de référence",
    "cost_price_near_use_by": "prix de revient × 50 % (DLC proche)",
    "reference_price_near_use_by": "prix de référence × 50 % (DLC proche)",
}


def form_for_partner(partner: PartnerOrganisation) -> str:
    if partner.kind == PartnerOrganisation.Kind.INDIVIDUAL:
        return Attestation.Form.INDIVIDUAL
    return Attestation.Form.COMPANY


def _next_number(year: int) -> int:
    """The next number of the year, under a row lock: no gap, no duplicate, ever."""
    AttestationCounter.objects.get_or_create(year=year)
    counter = AttestationCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def attestation_issue(
    *,
    partner: PartnerOrganisation,
    actor=None,
    donation: Donation | None = None,
    year: int | None = None,
    issued_on: datetime.date | None = None,
) -> Attestation:
    """Issue the attestation of one received donation, or of a donor's received donations of a year
    not yet attested. Each donation is attested once."""
    issued_on = issued_on or timezone.localdate()
    donations = Donation.objects.select_for_update().filter(
        partner=partner, status=Donation.Status.RECEIVED, attestation__isnull=True
    )
    if donation is not None:
        donation = Donation.objects.get(pk=donation.pk)  # the status as it is now, not as the caller saw it
        if donation.partner_id != partner.pk:
            raise DomainError.for_field("donation", "Ce don n'est pas de ce donateur.", "wrong_partner")
        if donation.status != Donation.Status.RECEIVED:
            raise Conflict.for_field(
                "donation", "Seul un don reçu peut être attesté.", "donation_not_received"
            )
        donations = donations.filter(pk=donation.pk)
    elif year is not None:
        donations = donations.filter(received_on__year=year)
    else:
        raise DomainError.for_field("year", "Indiquez un don ou une année.", "required")
    donations = list(donations.order_by("received_on", "pk"))
    if not donations:
        if donation is not None:
            raise Conflict.for_field("donation", "Ce don a déjà son attestation.", "already_attested")
        raise DomainError.for_field(
            "year", "Aucun don reçu à attester pour cette période.", "nothing_to_attest"
        )
    settings = StockSettings.get_solo()
    goods, total_value, total_weight = [], Decimal("0"), Decimal("0")
    lines = (
        DonationLine.objects.filter(donation__in=donations, received_quantity__gt=0)
        .select_related("product", "donation")
        .order_by("donation__received_on", "donation_id", "id")
    )
    for line in lines:
        taken_on = line.donation.received_on
        valuation = line_valuation(line, taken_on, settings)
        weight = line.weight_kg or Decimal("0")
        total_value += Decimal(valuation["value"])
        total_weight += weight
        goods.append(
            {
                "donation": line.donation_id,
                "date": taken_on.isoformat(),
                "label": line.label,
                "quantity": f"{line.received_quantity.normalize():f}",
                "unit": line.product.get_unit_display(),
                "weight_kg": str(weight),
                "use_by": line.use_by.isoformat() if line.use_by else None,
                "method_label": VALUATION_LABELS[valuation["method"]],
                **valuation,
            }
        )
    dates = [d.received_on for d in donations]
    number_year = issued_on.year
    sequence = _next_number(number_year)
    attestation = Attestation.objects.create(
        year=number_year,
        sequence=sequence,
        number=f"{number_year}-{sequence:05d}",
        partner=partner,
        form=form_for_partner(partner),
        period_start=min(dates),
        period_end=max(dates),
        issued_on=issued_on,
        issued_by=actor if actor is not None and actor.is_authenticated else None,
        total_value=total_value.quantize(CENT),
        total_weight_kg=total_weight,
        content={
            "goods": goods,
            "issuer": {
                "name": settings.issuer_name,
                "address": settings.issuer_address,
                "identifier": settings.issuer_identifier,
                "purpose": settings.issuer_purpose,
                "signatory": settings.issuer_signatory,
            },
            "donor": {
                "name": partner.name,
                "siret": partner.siret,
                "address": partner.address,
                "kind": partner.get_kind_display(),
            },
            "near_use_by_days": settings.near_dlc_valuation_days,
            "near_use_by_rate": str(settings.near_dlc_valuation_rate),
        },
    )
    Donation.objects.filter(pk__in=[d.pk for d in donations]).update(attestation=attestation)
    log_action(
        actor,
        "stock.attestation_issued",
        attestation,
        number=attestation.number,
        donations=[d.pk for d in donations],
        total_value=attestation.total_value,
    )
    return attestation


def donation_movements(donation: Donation):
    return Movement.objects.filter(document_type="donation", document_id=str(donation.pk))
