from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    AuditEntry,
    JobRun,
    JobSettings,
    MonthClosing,
    MonthlyStatement,
    Notification,
    PartnerOrganisation,
    Site,
    StatementCorrection,
    User,
)


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
