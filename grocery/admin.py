from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AuditEntry, PartnerOrganisation, Site, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("Épicerie", {"fields": ("partner", "default_site")}),)
    list_display = ("username", "first_name", "last_name", "partner", "is_active")
    list_filter = ("groups", "is_active", "partner")


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "city", "is_active")


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "siret", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "siret")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)
    search_fields = ("target_id",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


# --- Counter ---------------------------------------------------------------------------------

from .models import (  # noqa: E402
    CashSession,
    CounterSettings,
    Limit,
    Payment,
    PricingRule,
    Refund,
    RefundLine,
    Sale,
    SaleLine,
    Till,
)


@admin.register(CounterSettings)
class CounterSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not CounterSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Till)
class TillAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "is_active")
    list_filter = ("site", "is_active")


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Sales and sessions are written by the counter's services only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CashSession)
class CashSessionAdmin(_ReadOnlyAdmin):
    list_display = ("till", "opened_at", "opened_by", "closed_at", "difference")
    list_filter = ("till__site",)
    date_hierarchy = "opened_at"


class SaleLineInline(admin.TabularInline):
    model = SaleLine
    fields = ("name", "quantity", "unit", "market_price", "rate", "price_paid", "saving", "refunded_quantity")
    readonly_fields = fields
    extra = 0
    can_delete = False


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = ("method", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Sale)
class SaleAdmin(_ReadOnlyAdmin):
    list_display = ("receipt_number", "site", "sold_at", "paid", "market_value", "cashier")
    list_filter = ("site",)
    search_fields = ("receipt_number", "id")
    date_hierarchy = "sold_at"
    inlines = [SaleLineInline, PaymentInline]
    exclude = ("response",)


class RefundLineInline(admin.TabularInline):
    model = RefundLine
    fields = ("sale_line", "quantity", "amount", "market_value")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Refund)
class RefundAdmin(_ReadOnlyAdmin):
    list_display = ("sale", "at", "actor", "amount", "destination")
    inlines = [RefundLineInline]


@admin.register(PricingRule)
class PricingRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "category", "origin", "kind", "rate", "is_active")
    list_filter = ("kind", "origin", "is_active", "site")


@admin.register(Limit)
class LimitAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "product", "category", "period", "quantity", "per_extra_person",
                    "max_quantity", "is_active")
    list_filter = ("period", "is_active", "site")
    autocomplete_fields = ()


# --- Background jobs ---------------------------------------------------------------------------

from .models import (  # noqa: E402
    JobRun,
    JobSettings,
    MonthClosing,
    MonthlyStatement,
    Notification,
    StatementCorrection,
)


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("task", "status", "started_at", "duration_ms", "hostname")
    list_filter = ("task", "status")
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "level", "role", "site", "user", "updated_at")
    list_filter = ("kind", "level", "role", "site")
    search_fields = ("title", "key")


@admin.register(JobSettings)
class JobSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not JobSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class StatementCorrectionInline(admin.TabularInline):
    model = StatementCorrection
    extra = 0
    can_delete = False
    readonly_fields = ("revision", "at", "changes", "job_run")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MonthlyStatement)
class MonthlyStatementAdmin(admin.ModelAdmin):
    """Read-only: statements are computed by the monthly close, never edited by hand."""

    list_display = ("household", "month", "allowance", "amount_paid", "market_value", "overrun",
                    "visits", "revision")
    list_filter = ("month", "no_visit", "allowance_basis")
    search_fields = ("household__display_name", "household__reference")
    list_select_related = ("household",)
    inlines = [StatementCorrectionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MonthClosing)
class MonthClosingAdmin(admin.ModelAdmin):
    list_display = ("month", "first_closed_at", "last_closed_at", "runs", "households", "corrections")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
