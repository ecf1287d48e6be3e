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
