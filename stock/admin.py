"""Admin for stock: catalogue, locations and settings are edited here; the ledger is read-only."""

from django.contrib import admin

from . import models


class BarcodeInline(admin.TabularInline):
    model = models.Barcode
    extra = 1


@admin.register(models.Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "food_group", "given_free"]
    list_filter = ["food_group", "given_free"]
    search_fields = ["name"]


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "category", "unit", "market_price", "storage", "is_active"]
    list_filter = ["category", "unit", "storage", "is_active"]
    search_fields = ["name", "brand", "barcodes__code"]
    list_select_related = ["category"]
    inlines = [BarcodeInline]


@admin.register(models.Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "kind", "is_active"]
    list_filter = ["site", "kind"]
    list_select_related = ["site"]


@admin.register(models.Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "product",
        "site",
        "location",
        "origin",
        "use_by",
        "best_before",
        "lot_number",
        "quantity_on_hand",
    ]
    list_filter = ["site", "origin"]
    search_fields = ["lot_number", "product__name"]
    list_select_related = ["product", "site", "location"]
    readonly_fields = ["quantity_on_hand", "initial_quantity"]
    raw_id_fields = ["product"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Movement)
class MovementAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "kind",
        "lot",
        "product",
        "site",
        "quantity",
        "document_type",
        "document_id",
        "actor",
    ]
    list_filter = ["kind", "site", "document_type"]
    list_select_related = ["lot", "product", "site", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.StockSettings)
class StockSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not models.StockSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class DonationLineInline(admin.TabularInline):
    model = models.DonationLine
    extra = 0
    raw_id_fields = ["product", "lot"]
    readonly_fields = ["received_quantity", "lot"]


@admin.register(models.Donation)
class DonationAdmin(admin.ModelAdmin):
    list_display = ["id", "donated_on", "partner", "site", "origin", "status", "attestation"]
    list_filter = ["status", "origin", "site"]
    search_fields = ["partner__name"]
    list_select_related = ["partner", "site", "attestation"]
    inlines = [DonationLineInline]
    readonly_fields = ["status", "received_at", "received_by", "attestation", "created_by"]


@admin.register(models.Attestation)
class AttestationAdmin(admin.ModelAdmin):
    """Issued attestations are legal documents: read-only here, issued from the stock pages."""

    list_display = ["number", "issued_on", "partner", "form", "total_weight_kg", "total_value"]
    list_filter = ["year", "form"]
    search_fields = ["number", "partner__name"]
    list_select_related = ["partner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.TemperatureReading)
class TemperatureReadingAdmin(admin.ModelAdmin):
    list_display = ["at", "location", "celsius", "limit_celsius", "is_alert", "recorded_by"]
    list_filter = ["is_alert", "location__site"]
    list_select_related = ["location", "recorded_by"]

    def has_change_permission(self, request, obj=None):
        return False


for model in (models.Purchase, models.Waste, models.Transfer, models.Stocktake):
    admin.site.register(
        model,
        type(
            f"{model.__name__}Admin",
            (admin.ModelAdmin,),
            {
                "has_change_permission": lambda self, request, obj=None: False,
                "has_delete_permission": lambda self, request, obj=None: False,
            },
        ),
    )
