"""Pages of the stock area: catalogue, stock by site, lots, donations (partner portal and
receiving), attestations, labels, waste, transfers, purchases, stocktakes, recall, temperatures.

Views are thin: read the form, call one service, show its DomainError next to the field it names.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from grocery.errors import DomainError
from grocery.models import PartnerOrganisation, Site
from grocery.permissions import has_capability, is_partner_only, requires
from stock import selectors, services
from stock.barcodes import label_svg
from stock.filters import LotFilter, ProductFilter
from stock.models import (
    Barcode,
    Category,
    Donation,
    Location,
    Lot,
    Movement,
    Product,
    Purchase,
    StockSettings,
    Stocktake,
    TemperatureReading,
    Transfer,
    Waste,
)

PAGE_SIZE = 50
LINE_ROWS = 8  # empty rows offered by the donation and purchase entry forms


# --- helpers -----------------------------------------------------------------------------------


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _current_site(request) -> Site | None:
    value = request.GET.get("site") or request.POST.get("site")
    if value and str(value).isdigit():
        site = Site.objects.filter(pk=int(value)).first()
        if site:
            return site
    return request.user.default_site or Site.objects.filter(is_active=True).first()


def _pk(value) -> int:
    """An id from a form field; 0 (matches nothing) for anything that is not one."""
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else 0


def _decimal(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation:
        return "invalid"


def _date(value):
    if not value:
        return None
    parsed = parse_date(str(value))
    return parsed if parsed else "invalid"


def _field_errors(exc: DomainError) -> dict[str, str]:
    return {name: "; ".join(map(str, messages_)) for name, messages_ in exc.fields.items()}


KIND_ORDER = [Location.Kind.RESERVE, Location.Kind.SHOP_FLOOR, Location.Kind.FRIDGE, Location.Kind.FREEZER]


def _receiving_order(locations) -> list[Location]:
    """Goods arrive in the reserve: it comes first in the choices, then the shop floor, the cold."""
    return sorted(locations, key=lambda location: (KIND_ORDER.index(location.kind), location.name))


def expiry_class(status: str) -> str:
    return {"expired": "bad", "soon": "warn", "past_best_before": "warn"}.get(status, "ok")


def _annotate_expiry(lots, on_date=None):
    settings = StockSettings.get_solo()
    on_date = on_date or timezone.localdate()
    for lot in lots:
        lot.expiry_status = selectors.expiry_status(lot, on_date, settings)
        lot.expiry_class = expiry_class(lot.expiry_status)
    return lots


# --- catalogue ---------------------------------------------------------------------------------


class ProductForm(forms.ModelForm):
    barcode = forms.CharField(label="Code-barres (EAN-13, EAN-8 ou UPC-A)", required=False, max_length=30)

    class Meta:
        model = Product
        fields = [
            "name",
            "brand",
            "category",
            "unit",
            "net_weight_kg",
            "market_price",
            "storage",
            "low_stock_threshold",
            "is_active",
        ]


@requires("catalogue.view")
def catalogue(request):
    queryset = Product.objects.select_related("category").prefetch_related("barcodes").order_by("name", "pk")
    product_filter = ProductFilter(request.GET, queryset=queryset)
    return render(
        request,
        "frontend/stock/catalogue.html",
        {
            "page_obj": _page(request, product_filter.qs),
            "filter": product_filter,
            "categories": Category.objects.all(),
            "query": _query_without_page(request),
            "can_manage": has_capability(request.user, "catalogue.manage"),
        },
    )


@requires("catalogue.view")
def product_detail(request, pk):
    product = get_object_or_404(
        Product.objects.select_related("category").prefetch_related("barcodes"), pk=pk
    )
    context = {"product": product, "can_manage": has_capability(request.user, "catalogue.manage")}
    if has_capability(request.user, "stock.view"):
        context["lots"] = _annotate_expiry(
            list(
                selectors.lots_list(with_stock=True)
                .filter(product=product)
                .order_by("site__name", "use_by", "best_before", "pk")
            )
        )
        context["levels"] = list(selectors.stock_levels(lots=Lot.objects.filter(product=product)))
    return render(request, "frontend/stock/product_detail.html", context)


def _product_form(request, product=None):
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        code = data.pop("barcode", "")
        try:
            if product is None:
                product = services.product_create(actor=request.user, barcodes=[code] if code else [], **data)
            else:
                product = services.product_update(product=product, actor=request.user, **data)
                if code:
                    services.barcode_add(product=product, code=code, actor=request.user)
        except DomainError as exc:
            for field, message in _field_errors(exc).items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, "Produit enregistré.")
            return redirect("product_detail", pk=product.pk)
    return render(request, "frontend/stock/product_form.html", {"form": form, "product": product})


@requires("catalogue.manage")
def product_create(request):
    return _product_form(request)


@requires("catalogue.manage")
def product_edit(request, pk):
    return _product_form(request, get_object_or_404(Product, pk=pk))


@requires("catalogue.manage")
@require_POST
def product_internal_code(request, pk):
    product = get_object_or_404(Product, pk=pk)
    barcode = services.internal_code_assign(product=product, actor=request.user)
    messages.success(request, f"Code interne {barcode.code} attribué.")
    return redirect("product_detail", pk=product.pk)


@requires("catalogue.manage")
def labels(request):
    """Printable barcode labels (python-barcode SVG), for loose goods and missing labels."""
    ids = [int(value) for value in request.GET.getlist("product") if value.isdigit()]
    try:
        copies = max(1, min(int(request.GET.get("copies", "1")), 100))
    except ValueError:
        copies = 1
    barcodes = Barcode.objects.filter(product_id__in=ids).select_related("product").order_by("product__name")
    items = [{"barcode": b, "svg": label_svg(b.code)} for b in barcodes]
    return render(
        request,
        "frontend/stock/labels.html",
        {
            "items": [item for item in items for _ in range(copies)],
            "copies": copies,
            "ids": ids,
            "loose": Product.objects.filter(is_active=True)
            .exclude(unit=Product.Unit.PIECE)
            .order_by("name")[:200],
        },
    )


# --- stock by site, lots, alerts ---------------------------------------------------------------


@requires("stock.view")
def stock_levels(request):
    site = _current_site(request)
    lots = Lot.objects.all()
    category = request.GET.get("category")
    if category and category.isdigit():
        lots = lots.filter(product__category_id=int(category))
    query = (request.GET.get("q") or "").strip()
    if query:
        lots = lots.filter(product__name__icontains=query)
    rows = selectors.stock_levels(site_id=site.pk if site else None, lots=lots)
    page_obj = _page(request, rows)
    settings = StockSettings.get_solo()
    today = timezone.localdate()
    for row in page_obj:
        warn_until = today + datetime.timedelta(days=settings.dlc_warning_days)
        if row["next_use_by"] and row["next_use_by"] < today:
            row["expiry_class"] = "bad"
        elif (row["next_use_by"] and row["next_use_by"] <= warn_until) or (
            row["next_best_before"] and row["next_best_before"] < today
        ):
            row["expiry_class"] = "warn"
        else:
            row["expiry_class"] = "ok"
    return render(
        request,
        "frontend/stock/levels.html",
        {
            "site": site,
            "sites": Site.objects.filter(is_active=True),
            "page_obj": page_obj,
            "categories": Category.objects.all(),
            "query": _query_without_page(request),
        },
    )


@requires("stock.view")
def lot_list(request):
    site = _current_site(request)
    params = request.GET.copy()
    if site and not params.get("site"):
        params["site"] = str(site.pk)
    params.setdefault("with_stock", "true")
    lot_filter = LotFilter(params, queryset=selectors.lots_list().order_by("use_by", "best_before", "pk"))
    page_obj = _page(request, lot_filter.qs)
    _annotate_expiry(page_obj.object_list)
    return render(
        request,
        "frontend/stock/lots.html",
        {
            "page_obj": page_obj,
            "site": site,
            "sites": Site.objects.filter(is_active=True),
            "locations": Location.objects.filter(site=site) if site else [],
            "params": params,
            "query": _query_without_page(request),
        },
    )


@requires("stock.view")
def lot_detail(request, pk):
    lot = get_object_or_404(selectors.lots_list(), pk=pk)
    _annotate_expiry([lot])
    movements = Movement.objects.filter(lot=lot).select_related("actor").order_by("at", "pk")
    transfers = Transfer.objects.filter(source=lot).select_related(
        "destination__location", "to_location__site"
    )
    return render(
        request,
        "frontend/stock/lot_detail.html",
        {
            "lot": lot,
            "movements": movements,
            "transfers": transfers,
            "origin_transfer": Transfer.objects.filter(destination=lot).select_related("source").first(),
            "can_manage": has_capability(request.user, "stock.manage"),
        },
    )


@requires("stock.view")
def alerts(request):
    site = _current_site(request)
    data = selectors.stock_alerts(site_id=site.pk) if site else None
    if data:
        for key in ("near_use_by", "use_by_passed", "past_best_before_tolerance"):
            _annotate_expiry(data[key])
    return render(
        request,
        "frontend/stock/alerts.html",
        {
            "site": site,
            "sites": Site.objects.filter(is_active=True),
            "alerts": data,
        },
    )


def alerts_home_block(request):
    """Home page block: what is about to expire at the user's site."""
    if not has_capability(request.user, "stock.view"):
        return None
    site = request.user.default_site or Site.objects.filter(is_active=True).first()
    if site is None:
        return None
    data = selectors.stock_alerts(site_id=site.pk)
    counts = {
        "near": len(data["near_use_by"]),
        "passed": len(data["use_by_passed"]),
        "ddm": len(data["past_best_before_tolerance"]),
        "low": len(data["low_stock"]),
        "cold": len(data["temperature"]),
    }
    if not any(counts.values()):
        return None
    return {
        "title": f"Alertes stock — {site.name}",
        "template": "frontend/stock/_home_alerts.html",
        "counts": counts,
        "site": site,
    }


# --- temperatures, waste, transfers ------------------------------------------------------------


@requires("stock.manage")
def temperatures(request):
    site = _current_site(request)
    cold = (
        Location.objects.filter(
            site=site, kind__in=[Location.Kind.FRIDGE, Location.Kind.FREEZER], is_active=True
        )
        if site
        else Location.objects.none()
    )
    errors = {}
    if request.method == "POST":
        location = cold.filter(pk=_pk(request.POST.get("location"))).first()
        try:
            if location is None:
                raise DomainError.for_field(
                    "location", "Choisissez un réfrigérateur ou un congélateur.", "required"
                )
            reading = services.temperature_record(
                location=location,
                celsius=str(_decimal(request.POST.get("celsius")) or ""),
                note=request.POST.get("note", ""),
                actor=request.user,
            )
        except DomainError as exc:
            errors = _field_errors(exc)
        else:
            if reading.is_alert:
                messages.error(
                    request,
                    f"Alerte : {reading.celsius} °C dépasse la limite de "
                    f"{reading.limit_celsius} °C. Notez l'action corrective.",
                )
            else:
                messages.success(request, "Relevé enregistré.")
            return redirect(f"{reverse('stock_temperatures')}?site={site.pk}")
    readings = TemperatureReading.objects.filter(location__in=cold).select_related("location", "recorded_by")
    return render(
        request,
        "frontend/stock/temperatures.html",
        {
            "site": site,
            "sites": Site.objects.filter(is_active=True),
            "locations": cold,
            "page_obj": _page(request, readings),
            "errors": errors,
            "post": request.POST,
        },
    )


@requires("stock.manage")
def waste_create(request):
    lot = None
    lot_id = request.GET.get("lot") or request.POST.get("lot")
    if lot_id and str(lot_id).isdigit():
        lot = selectors.lots_list().filter(pk=int(lot_id)).first()
    errors = {}
    if request.method == "POST":
        try:
            if lot is None:
                raise DomainError.for_field("lot", "Choisissez le lot.", "required")
            services.waste_record(
                lot=lot,
                quantity=_decimal(request.POST.get("quantity")) or 0,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
                actor=request.user,
            )
        except DomainError as exc:
            errors = _field_errors(exc) or {"form": exc.message}
        else:
            messages.success(request, "Casse enregistrée.")
            return redirect("lot_detail", pk=lot.pk)
    recent = Waste.objects.select_related("lot__product", "actor")[:30]
    return render(
        request,
        "frontend/stock/waste.html",
        {
            "lot": lot,
            "reasons": Waste.Reason.choices,
            "errors": errors,
            "post": request.POST,
            "recent": recent,
        },
    )


@requires("stock.manage")
def transfer_create(request):
    lot = None
    lot_id = request.GET.get("lot") or request.POST.get("lot")
    if lot_id and str(lot_id).isdigit():
        lot = selectors.lots_list().filter(pk=int(lot_id)).first()
    errors = {}
    if request.method == "POST":
        destination = Location.objects.filter(pk=_pk(request.POST.get("to_location")), is_active=True).first()
        try:
            if lot is None:
                raise DomainError.for_field("lot", "Choisissez le lot.", "required")
            if destination is None:
                raise DomainError.for_field("to_location", "Choisissez l'emplacement d'arrivée.", "required")
            transfer = services.transfer_create(
                lot=lot,
                to_location=destination,
                quantity=_decimal(request.POST.get("quantity")) or 0,
                note=request.POST.get("note", ""),
                actor=request.user,
            )
        except DomainError as exc:
            errors = _field_errors(exc) or {"form": exc.message}
        else:
            messages.success(request, "Transfert enregistré.")
            return redirect("lot_detail", pk=transfer.destination_id)
    return render(
        request,
        "frontend/stock/transfer.html",
        {
            "lot": lot,
            "errors": errors,
            "post": request.POST,
            "locations": Location.objects.filter(is_active=True)
            .select_related("site")
            .order_by("site__name", "name"),
            "recent": Transfer.objects.select_related("source__product", "to_location__site", "actor")[:30],
        },
    )


# --- recall ------------------------------------------------------------------------------------


@requires("stock.manage")
def recall(request):
    product = None
    product_id = request.GET.get("product") or request.POST.get("product")
    if product_id and str(product_id).isdigit():
        product = Product.objects.filter(pk=int(product_id)).first()
    lot_number = (request.GET.get("lot_number") or request.POST.get("lot_number") or "").strip()
    if request.method == "POST" and product and lot_number:
        wastes = services.recall_withdraw(product=product, lot_number=lot_number, actor=request.user)
        messages.success(request, f"{len(wastes)} lot(s) retiré(s) du stock (motif : rappel).")
        return redirect(f"{reverse('stock_recall')}?product={product.pk}&lot_number={lot_number}")
    result = (
        selectors.recall_lookup(product_id=product.pk, lot_number=lot_number)
        if product and lot_number
        else None
    )
    return render(
        request,
        "frontend/stock/recall.html",
        {
            "product": product,
            "lot_number": lot_number,
            "result": result,
            "products": Product.objects.order_by("name").only("pk", "name", "brand"),
        },
    )


# --- purchases ---------------------------------------------------------------------------------


def _rows(post, prefix, fields):
    rows = []
    count = post.get(f"{prefix}-count", "")
    # The count comes from the page's script; never trust it beyond a sane size.
    count = min(int(count), 200) if count.isdigit() else LINE_ROWS
    for index in range(count):
        row = {field: (post.get(f"{prefix}-{index}-{field}") or "").strip() for field in fields}
        if any(row.values()):
            rows.append(row)
    return rows


@requires("stock.manage")
def purchase_list(request):
    errors, rows = {}, []
    if request.method == "POST":
        rows = _rows(
            request.POST, "lines", ["barcode", "quantity", "unit_cost", "use_by", "best_before", "lot_number"]
        )
        lines = []
        for row in rows:
            lines.append(
                {
                    "barcode": row["barcode"],
                    "quantity": _decimal(row["quantity"]) or 0,
                    "unit_cost": row["unit_cost"].replace(",", ".") or "x",
                    "use_by": _date(row["use_by"]),
                    "best_before": _date(row["best_before"]),
                    "lot_number": row["lot_number"],
                }
            )
        site = _current_site(request)
        try:
            _check_dates(lines)
            for index, line in enumerate(lines):
                # Scanned, or picked from the list (which fills in the product's code).
                try:
                    line["product"] = selectors.product_by_barcode(line.pop("barcode"))
                except DomainError as exc:
                    raise type(exc)(exc.message, exc.code, fields={f"lines[{index}].barcode": [exc.message]})
            purchase = services.purchase_create(
                supplier=request.POST.get("supplier", ""),
                site=site,
                lines=lines,
                actor=request.user,
                reference=request.POST.get("reference", ""),
                origin=request.POST.get("origin") or "purchase",
            )
        except DomainError as exc:
            errors = _field_errors(exc) or {"form": exc.message}
        else:
            messages.success(request, "Achat enregistré. Réceptionnez-le à l'arrivée des marchandises.")
            return redirect("purchase_detail", pk=purchase.pk)
    purchases = Purchase.objects.select_related("site").prefetch_related("lines")
    return render(
        request,
        "frontend/stock/purchases.html",
        {
            "page_obj": _page(request, purchases),
            "errors": errors,
            "post": request.POST,
            "rows": _padded(rows),
            "choices": _first_code_per_product(),
            "sites": Site.objects.filter(is_active=True),
            "site": _current_site(request),
        },
    )


def _first_code_per_product():
    seen, choices = set(), []
    for barcode in (
        Barcode.objects.filter(product__is_active=True)
        .select_related("product")
        .order_by("product__name", "product_id", "code")
    ):
        if barcode.product_id not in seen:
            seen.add(barcode.product_id)
            choices.append(barcode)
    return choices


def _check_dates(lines):
    for index, line in enumerate(lines):
        for field in ("use_by", "best_before"):
            if line.get(field) == "invalid":
                raise DomainError.for_field(
                    f"lines[{index}].{field}", "Date invalide (JJ/MM/AAAA).", "invalid_date"
                )
        if line.get("quantity") == "invalid":
            raise DomainError.for_field(f"lines[{index}].quantity", "Quantité invalide.", "invalid_quantity")


def _padded(rows, size=LINE_ROWS):
    rows = list(rows)
    return [*rows, *({} for _ in range(max(size - len(rows), 2)))]


@requires("stock.manage")
def purchase_detail(request, pk):
    purchase = get_object_or_404(Purchase.objects.select_related("site"), pk=pk)
    error = None
    if request.method == "POST":
        location = Location.objects.filter(pk=_pk(request.POST.get("location")), site=purchase.site).first()
        try:
            if location is None:
                raise DomainError.for_field("location", "Choisissez l'emplacement de réception.", "required")
            services.purchase_receive(purchase=purchase, location=location, actor=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "Achat réceptionné : lots créés.")
            return redirect("purchase_detail", pk=purchase.pk)
    return render(
        request,
        "frontend/stock/purchase_detail.html",
        {
            "purchase": purchase,
            "lines": purchase.lines.select_related("product", "lot"),
            "error": error,
            "locations": _receiving_order(Location.objects.filter(site=purchase.site, is_active=True)),
        },
    )


# --- stocktakes --------------------------------------------------------------------------------


@requires("stock.manage")
def stocktake_list(request):
    site = _current_site(request)
    error = None
    if request.method == "POST":
        location = Location.objects.filter(pk=_pk(request.POST.get("location"))).first()
        try:
            if location is None:
                raise DomainError.for_field("location", "Choisissez l'emplacement à compter.", "required")
            stocktake = services.stocktake_start(location=location, actor=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("stocktake_detail", pk=stocktake.pk)
    stocktakes = Stocktake.objects.select_related("location__site", "started_by", "posted_by")
    return render(
        request,
        "frontend/stock/stocktakes.html",
        {
            "page_obj": _page(request, stocktakes),
            "error": error,
            "site": site,
            "locations": Location.objects.filter(is_active=True)
            .select_related("site")
            .order_by("site__name", "name"),
        },
    )


@requires("stock.manage")
def stocktake_detail(request, pk):
    stocktake = get_object_or_404(Stocktake.objects.select_related("location__site"), pk=pk)
    errors = {}
    if request.method == "POST":
        counts = {}
        for key, value in request.POST.items():
            if key.startswith("count-") and key[6:].isdigit():
                counts[int(key[6:])] = _decimal(value) if value.strip() else None
        action = request.POST.get("action", "save")
        try:
            if any(value == "invalid" for value in counts.values()):
                raise DomainError.for_field(
                    "counts", "Une quantité saisie n'est pas un nombre.", "invalid_quantity"
                )
            if action == "cancel":
                services.stocktake_cancel(stocktake=stocktake, actor=request.user)
                messages.success(request, "Inventaire annulé.")
            else:
                services.stocktake_count(stocktake=stocktake, counts=counts, actor=request.user)
                if action == "post":
                    services.stocktake_post(stocktake=stocktake, actor=request.user)
                    messages.success(request, "Inventaire validé : les écarts sont passés en ajustements.")
                else:
                    messages.success(request, "Comptage enregistré.")
        except DomainError as exc:
            errors = {"form": exc.message}
        else:
            return redirect("stocktake_detail", pk=stocktake.pk)
    lines = list(
        stocktake.lines.select_related("lot__product")
        .prefetch_related(
            Prefetch("lot__product__barcodes", queryset=Barcode.objects.only("code", "product_id"))
        )
        .order_by("lot__product__name", "lot_id")
    )
    return render(
        request,
        "frontend/stock/stocktake_detail.html",
        {
            "stocktake": stocktake,
            "lines": lines,
            "errors": errors,
            "is_open": stocktake.status == Stocktake.Status.OPEN,
        },
    )


# --- donations: partner portal and receiving ----------------------------------------------------

DONATION_FIELDS = [
    "barcode",
    "description",
    "category",
    "quantity",
    "weight_kg",
    "use_by",
    "best_before",
    "lot_number",
    "unit_cost",
]


def _donation_lines(rows):
    lines = []
    for row in rows:
        lines.append(
            {
                "barcode": row["barcode"],
                "description": row["description"],
                "category": row["category"] or None,
                "quantity": _decimal(row["quantity"]) or 0,
                "weight_kg": _decimal(row["weight_kg"]),
                "use_by": _date(row["use_by"]),
                "best_before": _date(row["best_before"]),
                "lot_number": row["lot_number"],
                "unit_cost": _decimal(row["unit_cost"]),
            }
        )
    for index, line in enumerate(lines):
        for field in ("weight_kg", "unit_cost"):
            if line[field] == "invalid":
                raise DomainError.for_field(f"lines[{index}].{field}", "Nombre invalide.", "invalid")
    _check_dates(lines)
    return lines


def _donation_form(request, donation=None):
    partner_only = is_partner_only(request.user)
    errors, rows = {}, []
    if donation is not None:
        rows = [
            {
                "barcode": line.product.barcodes.all()[0].code
                if line.product and line.product.barcodes.all()
                else "",
                "description": "" if line.product_id else line.description,
                "category": str(line.category_id or "") if not line.product_id else "",
                "product_name": str(line.product) if line.product_id else "",
                "quantity": line.quantity.normalize(),
                "weight_kg": line.weight_kg or "",
                "use_by": line.use_by.isoformat() if line.use_by else "",
                "best_before": line.best_before.isoformat() if line.best_before else "",
                "lot_number": line.lot_number,
                "unit_cost": line.unit_cost or "",
            }
            for line in donation.lines.select_related("product").prefetch_related("product__barcodes")
        ]
    if request.method == "POST":
        rows = _rows(request.POST, "lines", DONATION_FIELDS)
        site = Site.objects.filter(pk=_pk(request.POST.get("site")), is_active=True).first()
        try:
            lines = _donation_lines(rows)
            donated_on = _date(request.POST.get("donated_on")) or timezone.localdate()
            if donated_on == "invalid":
                raise DomainError.for_field("donated_on", "Date invalide.", "invalid_date")
            if site is None:
                raise DomainError.for_field("site", "Choisissez l'épicerie qui reçoit le don.", "required")
            if donation is None:
                partner = (
                    request.user.partner
                    if partner_only
                    else PartnerOrganisation.objects.filter(pk=_pk(request.POST.get("partner"))).first()
                )
                donation = services.donation_create(
                    partner=partner,
                    site=site,
                    lines=lines,
                    actor=request.user,
                    donated_on=donated_on,
                    note=request.POST.get("note", ""),
                    origin=request.POST.get("origin") or None,
                )
            else:
                services.donation_update(
                    donation=donation,
                    lines=lines,
                    site=site,
                    donated_on=donated_on,
                    note=request.POST.get("note", ""),
                    actor=request.user,
                )
        except DomainError as exc:
            errors = _field_errors(exc) or {"form": exc.message}
            if not errors.get("form"):
                errors["form"] = exc.message
        else:
            messages.success(request, "Don enregistré. L'épicerie le réceptionnera à son arrivée.")
            return redirect("donation_detail", pk=donation.pk)
    line_errors = {}
    for key, message in errors.items():
        if key.startswith("lines["):
            index = int(key[6 : key.index("]")])
            line_errors.setdefault(index, []).append(message)
    padded = _padded(rows)
    for index, row in enumerate(padded):
        row["errors"] = line_errors.get(index, [])
    return render(
        request,
        "frontend/stock/donation_form.html",
        {
            "donation": donation,
            "rows": padded,
            "errors": errors,
            "post": request.POST,
            "sites": Site.objects.filter(is_active=True),
            "partner_only": partner_only,
            "partners": PartnerOrganisation.objects.filter(is_active=True),
            "categories": Category.objects.all(),
            "origins": Lot.Origin.choices,
            "today": timezone.localdate(),
        },
    )


@requires("donation.log")
def donation_list(request):
    donations = selectors.donations_visible_to(request.user)
    status = request.GET.get("status")
    if status in Donation.Status.values:
        donations = donations.filter(status=status)
    return render(
        request,
        "frontend/stock/donations.html",
        {
            "page_obj": _page(request, donations),
            "status": status,
            "statuses": Donation.Status.choices,
            "partner_only": is_partner_only(request.user),
        },
    )


@requires("donation.log")
def donation_create(request):
    if is_partner_only(request.user) and request.user.partner_id is None:
        messages.error(request, "Votre compte n'est rattaché à aucun partenaire : contactez l'épicerie.")
        return redirect("donation_list")
    return _donation_form(request)


def _visible_donation(request, pk) -> Donation:
    """Another partner's donation is a 404, never a 403: its existence is not told."""
    return get_object_or_404(selectors.donations_visible_to(request.user), pk=pk)


@requires("donation.log")
def donation_detail(request, pk):
    donation = _visible_donation(request, pk)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        try:
            services.donation_cancel(donation=donation, actor=request.user)
            messages.success(request, "Don annulé.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("donation_detail", pk=donation.pk)
    return render(
        request,
        "frontend/stock/donation_detail.html",
        {
            "donation": donation,
            "lines": donation.lines.all(),
            "can_receive": has_capability(request.user, "donation.receive"),
            "can_attest": has_capability(request.user, "stock.manage"),
        },
    )


@requires("donation.log")
def donation_edit(request, pk):
    donation = _visible_donation(request, pk)
    if not donation.is_editable:
        messages.error(request, "Ce don a déjà été reçu ou annulé : il ne peut plus être modifié.")
        return redirect("donation_detail", pk=donation.pk)
    return _donation_form(request, donation)


@requires("donation.receive")
def donation_receive_list(request):
    site = _current_site(request)
    donations = Donation.objects.filter(status=Donation.Status.ANNOUNCED).select_related("partner", "site")
    if site:
        donations = donations.filter(site=site)
    return render(
        request,
        "frontend/stock/receive_list.html",
        {
            "page_obj": _page(request, donations.order_by("donated_on", "pk")),
            "site": site,
            "sites": Site.objects.filter(is_active=True),
        },
    )


@requires("donation.receive")
def donation_receive(request, pk):
    donation = get_object_or_404(Donation.objects.select_related("partner", "site"), pk=pk)
    lines = list(donation.lines.select_related("product", "category").prefetch_related("product__barcodes"))
    errors = {}
    if request.method == "POST":
        location = Location.objects.filter(pk=_pk(request.POST.get("location"))).first()
        counted = {}
        for line in lines:
            data = {"received_quantity": _decimal(request.POST.get(f"qty-{line.pk}"))}
            if data["received_quantity"] in (None, "invalid"):
                data["received_quantity"] = "x"
            product_id = request.POST.get(f"product-{line.pk}")
            if product_id and product_id.isdigit():
                data["product"] = int(product_id)
            for field in ("use_by", "best_before"):
                if f"{field}-{line.pk}" in request.POST:
                    data[field] = _date(request.POST.get(f"{field}-{line.pk}"))
            line_location = request.POST.get(f"location-{line.pk}")
            if line_location and line_location.isdigit():
                data["location"] = int(line_location)
            if f"lot_number-{line.pk}" in request.POST:
                data["lot_number"] = request.POST.get(f"lot_number-{line.pk}", "")
            counted[line.pk] = data
        try:
            for index, data in enumerate(counted.values()):
                if "invalid" in (data.get("use_by"), data.get("best_before")):
                    raise DomainError.for_field(f"lines[{index}].use_by", "Date invalide.", "invalid_date")
            if location is None:
                raise DomainError.for_field("location", "Choisissez l'emplacement de réception.", "required")
            services.donation_receive(
                donation=donation, location=location, counted=counted, actor=request.user
            )
        except DomainError as exc:
            errors = _field_errors(exc)
            errors["form"] = exc.message
        else:
            messages.success(request, "Don réceptionné : lots créés et stock mis à jour.")
            return redirect("donation_receive_list")
    locations = _receiving_order(Location.objects.filter(site=donation.site, is_active=True))
    by_kind = {location.kind: location for location in reversed(locations)}
    storage_kind = {
        Product.Storage.CHILLED: Location.Kind.FRIDGE,
        Product.Storage.FROZEN: Location.Kind.FREEZER,
    }
    for index, line in enumerate(lines):
        # Chilled goods go to the fridge, frozen ones to the freezer, unless the person says otherwise.
        default = by_kind.get(storage_kind.get(line.product.storage if line.product else None))
        posted = request.POST.get(f"location-{line.pk}")
        line.location_choice = (
            int(posted) if posted and posted.isdigit() else (default.pk if default else None)
        )
        line.errors = [message for key, message in errors.items() if key.startswith(f"lines[{index}].")]
        line.posted_quantity = request.POST.get(f"qty-{line.pk}", line.quantity.normalize())
    return render(
        request,
        "frontend/stock/receive.html",
        {
            "donation": donation,
            "lines": lines,
            "errors": errors,
            "locations": locations,
            "products": Product.objects.filter(is_active=True).order_by("name").only("pk", "name", "brand"),
        },
    )


# --- attestations ------------------------------------------------------------------------------


@requires("attestation.view")
def attestation_list(request):
    attestations = selectors.attestations_visible_to(request.user)
    can_issue = has_capability(request.user, "stock.manage")
    return render(
        request,
        "frontend/stock/attestations.html",
        {
            "page_obj": _page(request, attestations),
            "can_issue": can_issue,
            "partners": PartnerOrganisation.objects.filter(is_active=True) if can_issue else [],
            "year": timezone.localdate().year,
        },
    )


@requires("stock.manage")
@require_POST
def attestation_issue(request):
    partner = PartnerOrganisation.objects.filter(pk=_pk(request.POST.get("partner"))).first()
    donation = Donation.objects.filter(pk=_pk(request.POST.get("donation"))).first()
    year = request.POST.get("year")
    try:
        if partner is None and donation is not None:
            partner = donation.partner
        if partner is None:
            raise DomainError.for_field("partner", "Choisissez le donateur.", "required")
        attestation = services.attestation_issue(
            partner=partner,
            donation=donation,
            year=int(year) if year and year.isdigit() else None,
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(request.POST.get("next") or "attestation_list")
    messages.success(request, f"Attestation n° {attestation.number} émise.")
    return redirect("attestation_detail", pk=attestation.pk)


def _visible_attestation(request, pk):
    return get_object_or_404(selectors.attestations_visible_to(request.user), pk=pk)


@requires("attestation.view")
def attestation_detail(request, pk):
    from stock.attestation_pdf import LEGAL

    attestation = _visible_attestation(request, pk)
    return render(
        request,
        "frontend/stock/attestation_detail.html",
        {
            "attestation": attestation,
            "content": attestation.content,
            "legal": LEGAL[attestation.form],
        },
    )


@requires("attestation.view")
def attestation_pdf(request, pk):
    from stock.attestation_pdf import attestation_pdf as build

    attestation = _visible_attestation(request, pk)
    response = HttpResponse(build(attestation), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="attestation-{attestation.number}.pdf"'
    return response


# --- locations ---------------------------------------------------------------------------------


@requires("stock.manage")
def locations(request):
    """Storage locations of a site (reserve, shop floor, fridges, freezers)."""
    site = _current_site(request)
    errors = {}
    if request.method == "POST":
        try:
            if site is None:
                raise DomainError.for_field("site", "Choisissez l'épicerie.", "required")
            services.location_create(
                site=site,
                name=request.POST.get("name", ""),
                kind=request.POST.get("kind", ""),
                actor=request.user,
            )
        except DomainError as exc:
            errors = _field_errors(exc) or {"form": exc.message}
        else:
            messages.success(request, "Emplacement ajouté.")
            return redirect(f"{reverse('stock_locations')}?site={site.pk}")
    rows = Location.objects.filter(site=site) if site else Location.objects.none()
    return render(
        request,
        "frontend/stock/locations.html",
        {
            "site": site,
            "sites": Site.objects.filter(is_active=True),
            "locations": _receiving_order(rows),
            "kinds": Location.Kind.choices,
            "errors": errors,
            "post": request.POST,
        },
    )
