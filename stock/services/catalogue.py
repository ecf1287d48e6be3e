"""Catalogue, locations and temperature readings."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from grocery.audit import log_action
from grocery.errors import Conflict, DomainError

from ..barcodes import INTERNAL_PREFIX, barcode_kind, internal_code, normalise_barcode
from ..models import Barcode, Category, Location, Product, StockSettings, TemperatureReading

PRODUCT_FIELDS = {
    "name",
    "brand",
    "category",
    "unit",
    "net_weight_kg",
    "market_price",
    "storage",
    "low_stock_threshold",
    "is_active",
}


def _check_product_fields(fields: dict) -> None:
    if "name" in fields and not str(fields["name"]).strip():
        raise DomainError.for_field("name", "Le nom est obligatoire.", "required")
    for name in ("market_price", "net_weight_kg", "low_stock_threshold"):
        value = fields.get(name)
        if value is not None and Decimal(value) < 0:
            raise DomainError.for_field(name, "La valeur ne peut pas être négative.", "negative")
    if "unit" in fields and fields["unit"] not in Product.Unit.values:
        raise DomainError.for_field("unit", "Unité inconnue.", "invalid_unit")


@transaction.atomic
def category_create(*, name: str, food_group: str, given_free: bool = False, actor=None) -> Category:
    if Category.objects.filter(name__iexact=name.strip()).exists():
        raise Conflict.for_field("name", "Cette catégorie existe déjà.", "duplicate")
    category = Category.objects.create(name=name.strip(), food_group=food_group, given_free=given_free)
    log_action(actor, "stock.category_created", category, name=category.name)
    return category


@transaction.atomic
def category_update(*, category: Category, actor=None, **fields) -> Category:
    for name, value in fields.items():
        if name in {"name", "food_group", "given_free"}:
            setattr(category, name, value)
    category.save()
    log_action(actor, "stock.category_updated", category, **fields)
    return category


@transaction.atomic
def product_create(
    *,
    name: str,
    category: Category,
    market_price: Decimal,
    unit: str = Product.Unit.PIECE,
    brand: str = "",
    net_weight_kg: Decimal | None = None,
    storage: str = Product.Storage.AMBIENT,
    low_stock_threshold: Decimal = Decimal("0"),
    is_active: bool = True,
    barcodes: list[str] | tuple = (),
    actor=None,
) -> Product:
    fields = {
        "name": name,
        "market_price": market_price,
        "net_weight_kg": net_weight_kg,
        "unit": unit,
        "low_stock_threshold": low_stock_threshold,
    }
    _check_product_fields(fields)
    product = Product.objects.create(
        name=name.strip(),
        category=category,
        market_price=market_price,
        unit=unit,
        brand=brand.strip(),
        net_weight_kg=net_weight_kg,
        storage=storage,
        low_stock_threshold=low_stock_threshold,
        is_active=is_active,
    )
    for code in barcodes:
        _barcode_add(product, code)
    log_action(actor, "stock.product_created", product, name=product.name, barcodes=list(barcodes))
    return product


@transaction.atomic
def product_update(*, product: Product, actor=None, **fields) -> Product:
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise DomainError(f"Champs inconnus : {', '.join(sorted(unknown))}.", "invalid")
    _check_product_fields(fields)
    if "unit" in fields and fields["unit"] != product.unit and product.lots.exists():
        raise Conflict.for_field(
            "unit", "L'unité ne peut plus changer : des lots de ce produit existent.", "unit_locked"
        )
    for name, value in fields.items():
        setattr(product, name, value)
    product.save()
    log_action(actor, "stock.product_updated", product, **fields)
    return product


def _barcode_add(product: Product, code: str) -> Barcode:
    normalised = normalise_barcode(code)
    existing = Barcode.objects.filter(code=normalised).select_related("product").first()
    if existing is not None:
        raise Conflict.for_field(
            "barcode", f"Ce code-barres est déjà attribué à « {existing.product} ».", "barcode_taken"
        )
    return Barcode.objects.create(product=product, code=normalised, kind=barcode_kind(code))


@transaction.atomic
def barcode_add(*, product: Product, code: str, actor=None) -> Barcode:
    barcode = _barcode_add(product, code)
    log_action(actor, "stock.barcode_added", product, code=barcode.code)
    return barcode


@transaction.atomic
def internal_code_assign(*, product: Product, actor=None) -> Barcode:
    """Give a loose product an internal code (prefix 20, generated check digit) for its labels."""
    for _attempt in range(5):
        last = (
            Barcode.objects.filter(kind=Barcode.Kind.INTERNAL, code__startswith=INTERNAL_PREFIX)
            .order_by("-code")
            .values_list("code", flat=True)
            .first()
        )
        serial = int(last[2:12]) + 1 if last else 1
        try:
            with transaction.atomic():
                barcode = Barcode.objects.create(
                    product=product, code=internal_code(serial), kind=Barcode.Kind.INTERNAL
                )
        except IntegrityError:
            continue  # another manager took this number at the same moment: take the next one
        log_action(actor, "stock.internal_code_assigned", product, code=barcode.code)
        return barcode
    raise Conflict("Impossible d'attribuer un code interne, réessayez.", "internal_code_busy")


@transaction.atomic
def location_create(*, site, name: str, kind: str = Location.Kind.RESERVE, actor=None) -> Location:
    if not name.strip():
        raise DomainError.for_field("name", "Le nom est obligatoire.", "required")
    if kind not in Location.Kind.values:
        raise DomainError.for_field("kind", "Type d'emplacement inconnu.", "invalid_kind")
    if Location.objects.filter(site=site, name__iexact=name.strip()).exists():
        raise Conflict.for_field("name", "Cet emplacement existe déjà dans cette épicerie.", "duplicate")
    location = Location.objects.create(site=site, name=name.strip(), kind=kind)
    log_action(actor, "stock.location_created", location, site=site.pk, name=location.name)
    return location


def temperature_limit(location: Location, settings: StockSettings | None = None) -> Decimal | None:
    settings = settings or StockSettings.get_solo()
    if location.kind == Location.Kind.FRIDGE:
        return settings.chilled_max_celsius
    if location.kind == Location.Kind.FREEZER:
        return settings.frozen_max_celsius
    return None


@transaction.atomic
def temperature_record(
    *, location: Location, celsius, actor=None, note: str = "", at: datetime | None = None
) -> TemperatureReading:
    """Log a thermometer reading; above the location's limit it is an alert."""
    limit = temperature_limit(location)
    if limit is None:
        raise DomainError.for_field(
            "location",
            "Seuls les réfrigérateurs et congélateurs ont un relevé de température.",
            "not_cold_location",
        )
    try:
        celsius = Decimal(str(celsius)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError.for_field("celsius", "Température invalide.", "invalid_temperature")
    if not Decimal("-60") <= celsius <= Decimal("60"):
        raise DomainError.for_field(
            "celsius", "Température hors des valeurs possibles.", "invalid_temperature"
        )
    reading = TemperatureReading.objects.create(
        location=location,
        celsius=celsius,
        limit_celsius=limit,
        is_alert=celsius > limit,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
        note=note[:200],
        at=at or timezone.now(),
    )
    log_action(actor, "stock.temperature_recorded", location, celsius=celsius, alert=reading.is_alert)
    return reading
