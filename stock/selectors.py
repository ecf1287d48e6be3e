"""Reads of stock shared by pages, the API and other apps (the counter)."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from grocery.errors import NotFound
from grocery.permissions import is_partner_only

from .barcodes import normalise_barcode
from .fefo import ddm_limit, is_distributable
from .models import (
    Attestation,
    Barcode,
    Donation,
    Location,
    Lot,
    Movement,
    Product,
    StockSettings,
    TemperatureReading,
)


def product_by_barcode(code: str) -> Product:
    """The product a scanned code belongs to.

    Raises `invalid_barcode` (400) for a code that cannot be a barcode (wrong check digit,
    length, characters) and `unknown_barcode` (404) for a valid code nobody registered.
    """
    normalised = normalise_barcode(code)
    barcode = Barcode.objects.select_related("product__category").filter(code=normalised).first()
    if barcode is None:
        raise NotFound.for_field("barcode", f"Code-barres inconnu : {normalised}.", "unknown_barcode")
    return barcode.product


# --- Lists -------------------------------------------------------------------------------------


def lots_list(*, site_id: int | None = None, with_stock: bool = False):
    """Lots with what a list shows (product, category, location, site, donor) in one query."""
    queryset = Lot.objects.select_related("product__category", "location", "site", "partner")
    if site_id is not None:
        queryset = queryset.filter(site_id=site_id)
    if with_stock:
        queryset = queryset.filter(quantity_on_hand__gt=0)
    return queryset


def movements_list():
    return Movement.objects.select_related("lot", "product", "site", "actor")


def stock_levels(*, site_id: int | None = None, lots=None):
    """Quantity on hand per site and product, with the nearest expiry date: one grouped query.

    Rows are dicts: site, site_name, product, product_name, brand, unit, category_name,
    low_stock_threshold, quantity, lots, next_use_by, next_best_before, is_low.
    """
    queryset = (Lot.objects.all() if lots is None else lots).filter(quantity_on_hand__gt=0)
    if site_id is not None:
        queryset = queryset.filter(site_id=site_id)
    return (
        queryset.values(
            "site",
            "product",
            site_name=F("site__name"),
            product_name=F("product__name"),
            brand=F("product__brand"),
            unit=F("product__unit"),
            category_name=F("product__category__name"),
            low_stock_threshold=F("product__low_stock_threshold"),
        )
        .annotate(
            quantity=Sum("quantity_on_hand"),
            lots=Count("id"),
            next_use_by=Min("use_by"),
            next_best_before=Min("best_before"),
        )
        .annotate(
            is_low=Case(
                When(quantity__lt=F("low_stock_threshold"), then=True),
                default=False,
                output_field=BooleanField(),
            )
        )
        .order_by("site_name", "product_name", "product")
    )


# --- Alerts ------------------------------------------------------------------------------------


def expiry_status(lot: Lot, on_date: date, settings: StockSettings) -> str:
    """ "expired" (past DLC or past DDM tolerance: never distributed), "soon" (DLC within the
    warning window), "past_best_before" (past DDM, still within tolerance) or "ok"."""
    if not is_distributable(lot, on_date, settings):
        return "expired"
    if lot.use_by is not None and lot.use_by <= on_date + timedelta(days=settings.dlc_warning_days):
        return "soon"
    if lot.best_before is not None and lot.best_before < on_date:
        return "past_best_before"
    return "ok"


def stock_alerts(*, site_id: int, on_date: date | None = None, days: int | None = None) -> dict:
    """What needs doing at a site today: DLC close, DLC passed, DDM past tolerance, low stock,
    cold locations whose last reading was above the limit."""
    settings = StockSettings.get_solo()
    on_date = on_date or timezone.localdate()
    days = settings.dlc_warning_days if days is None else days
    lots = lots_list(site_id=site_id, with_stock=True).order_by("use_by", "best_before", "pk")
    near_use_by = list(lots.filter(use_by__gte=on_date, use_by__lte=on_date + timedelta(days=days)))
    use_by_passed = list(lots.filter(use_by__lt=on_date))
    past_ddm = [
        lot
        for lot in lots.filter(
            best_before__lt=on_date
            - timedelta(days=min(settings.ddm_tolerance_days, settings.ddm_month_tolerance_days))
        )
        if ddm_limit(lot, settings) < on_date
    ]
    low_stock = list(
        Product.objects.filter(is_active=True, low_stock_threshold__gt=0)
        .annotate(
            quantity=Coalesce(
                Sum("lots__quantity_on_hand", filter=Q(lots__site_id=site_id)),
                Value(Decimal("0")),
                output_field=DecimalField(max_digits=12, decimal_places=3),
            )
        )
        .filter(quantity__lt=F("low_stock_threshold"))
        .select_related("category")
        .order_by("name")
    )
    latest = TemperatureReading.objects.filter(location=OuterRef("pk")).order_by("-at", "-id")
    cold_alerts = list(
        Location.objects.filter(
            site_id=site_id, is_active=True, kind__in=[Location.Kind.FRIDGE, Location.Kind.FREEZER]
        )
        .annotate(
            last_celsius=Subquery(latest.values("celsius")[:1]),
            last_at=Subquery(latest.values("at")[:1]),
            last_alert=Subquery(latest.values("is_alert")[:1]),
        )
        .filter(last_alert=True)
    )
    return {
        "on_date": on_date,
        "days": days,
        "near_use_by": near_use_by,
        "use_by_passed": use_by_passed,
        "past_best_before_tolerance": past_ddm,
        "low_stock": low_stock,
        "temperature": cold_alerts,
    }


# --- Recall ------------------------------------------------------------------------------------

#: Functions (result: dict) -> None that add to a recall answer. The counter registers one that
#: fills result["households"] from its sale movements, so stock never imports the counter.
RECALL_EXTENSIONS: list[Callable[[dict], None]] = []


def recall_lookup(*, product_id: int, lot_number: str) -> dict:
    """Every lot of a product with a lot number: where it came from, where the rest is, and every
    movement out of it (sales carry document_type "sale", for the counter to name households)."""
    lots = list(
        lots_list().filter(product_id=product_id, lot_number__iexact=lot_number.strip()).order_by("pk")
    )
    movements = list(movements_list().filter(lot__in=lots).order_by("at", "pk"))
    remaining: dict[tuple[int, int], Decimal] = {}
    for lot in lots:
        key = (lot.site_id, lot.location_id)
        remaining[key] = remaining.get(key, Decimal("0")) + lot.quantity_on_hand
    locations = {lot.location_id: lot.location for lot in lots}
    result = {
        "product_id": product_id,
        "lot_number": lot_number.strip(),
        "lots": lots,
        "movements": movements,
        "remaining": [
            {"site": locations[location_id].site, "location": locations[location_id], "quantity": quantity}
            for (_site_id, location_id), quantity in remaining.items()
            if quantity > 0
        ],
        "total_remaining": sum((lot.quantity_on_hand for lot in lots), Decimal("0")),
        "distributed": sum((-m.quantity for m in movements if m.kind == Movement.Kind.SALE), Decimal("0"))
        - sum((m.quantity for m in movements if m.kind == Movement.Kind.REFUND), Decimal("0")),
        "households": [],
    }
    for extension in RECALL_EXTENSIONS:
        extension(result)
    return result


# --- Ledger check ------------------------------------------------------------------------------


def ledger_differences(*, lot_ids=None) -> list[dict]:
    """Lots whose cached quantity differs from the sum of their movements (should be none)."""
    sums = Movement.objects.values("lot").annotate(total=Sum("quantity"))
    ledger = {row["lot"]: row["total"] for row in sums}
    lots = Lot.objects.all() if lot_ids is None else Lot.objects.filter(pk__in=lot_ids)
    differences = []
    for lot_id, cached in lots.values_list("pk", "quantity_on_hand"):
        expected = Decimal(ledger.get(lot_id) or 0).quantize(Decimal("0.001"))
        if expected != cached:
            differences.append({"lot": lot_id, "cached": cached, "ledger": expected})
    return differences


# --- Donations and attestations (partners see only their own) -----------------------------------


def donations_visible_to(user):
    """Donations a user may see: a partner only its organisation's, staff all of them."""
    queryset = Donation.objects.select_related("partner", "site", "attestation").prefetch_related(
        "lines__product", "lines__category"
    )
    if is_partner_only(user):
        return queryset.filter(partner_id=user.partner_id) if user.partner_id else queryset.none()
    return queryset


def attestations_visible_to(user):
    queryset = Attestation.objects.select_related("partner", "issued_by")
    if is_partner_only(user):
        return queryset.filter(partner_id=user.partner_id) if user.partner_id else queryset.none()
    return queryset
