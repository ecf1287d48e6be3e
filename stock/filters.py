"""django-filter filtersets of the stock lists (API and pages)."""

from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone

from .barcodes import is_valid_barcode, normalise_barcode
from .models import Attestation, Donation, Lot, Movement, Product, Purchase, Stocktake, Transfer, Waste


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Recherche")
    barcode = django_filters.CharFilter(method="filter_barcode", label="Code-barres")

    class Meta:
        model = Product
        fields = ["category", "unit", "storage", "is_active"]

    def search(self, queryset, name, value):
        condition = Q(name__icontains=value) | Q(brand__icontains=value)
        if is_valid_barcode(value):
            # A scanned code finds its product whatever form it came in (UPC-A, spaces…).
            condition |= Q(barcodes__code=normalise_barcode(value))
        return queryset.filter(condition).distinct()

    def filter_barcode(self, queryset, name, value):
        if not is_valid_barcode(value):
            return queryset.none()
        return queryset.filter(barcodes__code=normalise_barcode(value))


class LotFilter(django_filters.FilterSet):
    expiring_within = django_filters.NumberFilter(method="filter_expiring", label="DLC dans les N jours")
    with_stock = django_filters.BooleanFilter(method="filter_with_stock", label="En stock")
    lot_number = django_filters.CharFilter(lookup_expr="iexact")
    use_by_before = django_filters.DateFilter(field_name="use_by", lookup_expr="lte")
    category = django_filters.NumberFilter(field_name="product__category")

    class Meta:
        model = Lot
        fields = ["site", "product", "location", "origin", "partner"]

    def filter_expiring(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(use_by__gte=today, use_by__lte=today + timedelta(days=int(value)))

    def filter_with_stock(self, queryset, name, value):
        return queryset.filter(quantity_on_hand__gt=0) if value else queryset.filter(quantity_on_hand=0)


class MovementFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = Movement
        fields = ["lot", "product", "site", "kind", "document_type", "document_id"]


class StockLevelFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="site")
    product = django_filters.NumberFilter(field_name="product")
    category = django_filters.NumberFilter(field_name="product__category")

    class Meta:
        model = Lot
        fields = ["site", "product", "category"]


class DonationFilter(django_filters.FilterSet):
    donated_after = django_filters.DateFilter(field_name="donated_on", lookup_expr="gte")
    donated_before = django_filters.DateFilter(field_name="donated_on", lookup_expr="lte")

    class Meta:
        model = Donation
        fields = ["status", "site", "partner", "origin"]


class AttestationFilter(django_filters.FilterSet):
    class Meta:
        model = Attestation
        fields = ["year", "partner", "form"]


class PurchaseFilter(django_filters.FilterSet):
    class Meta:
        model = Purchase
        fields = ["status", "site"]


class WasteFilter(django_filters.FilterSet):
    class Meta:
        model = Waste
        fields = ["site", "reason", "lot"]


class TransferFilter(django_filters.FilterSet):
    class Meta:
        model = Transfer
        fields = ["source", "to_location"]


class StocktakeFilter(django_filters.FilterSet):
    class Meta:
        model = Stocktake
        fields = ["status", "site", "location"]
