"""The daily expiry watch of one site: lots reaching their DLC soon (with what to do about
them), lots past their DLC to be wasted (a manager confirms; nothing is wasted here), products
running low, and cold locations with no temperature reading today.

Read-only and set-based: a constant number of queries per site, whatever the number of lots.
`expiry_watch_report` is used by the daily job (which turns it into notifications) and by the
alerts page (which shows it live).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Location, Lot, Movement, Product, StockSettings, TemperatureReading

#: Sales over this many days give each product's pace, to judge whether a lot will go in time.
SALES_PACE_DAYS = 28
ZERO = Decimal("0")


class Suggestion:
    """What to do with a lot close to its DLC."""

    PUT_FORWARD = "put_forward"
    GIVE_FREE = "give_free"
    DONATE = "donate"

    LABELS = {
        PUT_FORWARD: "Mettre en avant en rayon",
        GIVE_FREE: "Donner gratuitement aux foyers",
        DONATE: "Redonner à une association partenaire",
    }


@dataclass(frozen=True)
class NearExpiryLot:
    lot: Lot
    days_left: int
    expected_sales: Decimal
    suggestion: str

    @property
    def suggestion_label(self) -> str:
        return Suggestion.LABELS[self.suggestion]


@dataclass(frozen=True)
class LowStockProduct:
    product: Product
    on_hand: Decimal


@dataclass
class ExpiryWatchReport:
    site_id: int
    on_date: datetime.date
    warning_days: int
    near_expiry: list[NearExpiryLot] = field(default_factory=list)
    past_use_by: list[Lot] = field(default_factory=list)
    low_stock: list[LowStockProduct] = field(default_factory=list)
    cold_without_reading: list[Location] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "near_expiry": len(self.near_expiry),
            "past_use_by": len(self.past_use_by),
            "low_stock": len(self.low_stock),
            "cold_without_reading": len(self.cold_without_reading),
        }


def suggest(*, quantity: Decimal, days_left: int, daily_pace: Decimal) -> tuple[str, Decimal]:
    """Put forward what the usual pace of sales will clear before the DLC; for the surplus,
    give it free when there is a day or less left, otherwise offer it to a partner charity
    while it still has time to be used (two days or more)."""
    expected = (daily_pace * (days_left + 1)).quantize(Decimal("0.001"))
    if quantity <= expected:
        return Suggestion.PUT_FORWARD, expected
    if days_left <= 1:
        return Suggestion.GIVE_FREE, expected
    return Suggestion.DONATE, expected


def _daily_pace(site_id: int, product_ids: set[int], on_date: datetime.date) -> dict[int, Decimal]:
    if not product_ids:
        return {}
    since = timezone.make_aware(
        datetime.datetime.combine(on_date - datetime.timedelta(days=SALES_PACE_DAYS), datetime.time.min)
    )
    sold = (
        Movement.objects.filter(site_id=site_id, product_id__in=product_ids, kind=Movement.Kind.SALE,
                                at__gte=since)
        .values("product_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["product_id"]: -row["total"] / SALES_PACE_DAYS for row in sold}


def expiry_watch_report(*, site_id: int, on_date: datetime.date | None = None) -> ExpiryWatchReport:
    """What the expiry watch finds at one site on one day (today by default)."""
    on_date = on_date or timezone.localdate()
    settings = StockSettings.get_solo()
    report = ExpiryWatchReport(site_id=site_id, on_date=on_date, warning_days=settings.dlc_warning_days)
    in_stock = Lot.objects.filter(site_id=site_id, quantity_on_hand__gt=0).select_related(
        "product", "location"
    )

    horizon = on_date + datetime.timedelta(days=settings.dlc_warning_days)
    near = list(in_stock.filter(use_by__gte=on_date, use_by__lte=horizon).order_by("use_by", "id"))
    pace = _daily_pace(site_id, {lot.product_id for lot in near}, on_date)
    for lot in near:
        days_left = (lot.use_by - on_date).days
        suggestion, expected = suggest(
            quantity=lot.quantity_on_hand, days_left=days_left, daily_pace=pace.get(lot.product_id, ZERO)
        )
        report.near_expiry.append(NearExpiryLot(lot, days_left, expected, suggestion))

    report.past_use_by = list(in_stock.filter(use_by__lt=on_date).order_by("use_by", "id"))

    sellable = Q(lots__site_id=site_id, lots__quantity_on_hand__gt=0) & (
        Q(lots__use_by__isnull=True) | Q(lots__use_by__gte=on_date)
    )
    products = (
        Product.objects.filter(is_active=True, low_stock_threshold__gt=0)
        # Only what this site carries: products it has ever received.
        .filter(Exists(Lot.objects.filter(site_id=site_id, product_id=OuterRef("pk"))))
        .annotate(on_hand=Coalesce(Sum("lots__quantity_on_hand", filter=sellable), ZERO,
                                   output_field=DecimalField(max_digits=12, decimal_places=3)))
        .order_by("name", "id")
    )
    report.low_stock = [
        LowStockProduct(product, product.on_hand)
        for product in products
        if product.on_hand < product.low_stock_threshold
    ]

    day_start = timezone.make_aware(datetime.datetime.combine(on_date, datetime.time.min))
    day_end = day_start + datetime.timedelta(days=1)
    read_today = TemperatureReading.objects.filter(at__gte=day_start, at__lt=day_end).values("location_id")
    report.cold_without_reading = list(
        Location.objects.filter(
            site_id=site_id, is_active=True, kind__in=[Location.Kind.FRIDGE, Location.Kind.FREEZER]
        )
        .exclude(pk__in=read_today)
        .order_by("name")
    )
    return report


@transaction.atomic
def expired_lot_waste(*, lot_id: int, actor) -> Movement | None:
    """A manager confirms that a lot past its DLC goes to waste: all of what is left of it
    leaves the stock through the ledger (a `waste` movement). Refused for a lot whose DLC has
    not passed; None when nothing is left (already wasted or sold)."""
    from grocery.audit import log_action
    from grocery.errors import DomainError, NotFound

    from .services import movements_record

    lot = Lot.objects.select_for_update().filter(pk=lot_id).first()
    if lot is None:
        raise NotFound.for_field("lot", "Lot introuvable.", "lot_not_found")
    if lot.use_by is None or lot.use_by >= timezone.localdate():
        raise DomainError.for_field("lot", "La DLC de ce lot n'est pas dépassée.", "use_by_not_passed")
    if lot.quantity_on_hand <= 0:
        return None
    movement = movements_record(
        entries=[(lot.pk, -lot.quantity_on_hand)], kind=Movement.Kind.WASTE,
        document_type="expiry_watch", document_id=str(lot.pk), actor=actor,
        reason=f"DLC dépassée ({lot.use_by:%d/%m/%Y}), casse confirmée",
    )[0]
    log_action(actor, "lot.waste_expired", lot, quantity=str(movement.quantity), use_by=lot.use_by)
    return movement
