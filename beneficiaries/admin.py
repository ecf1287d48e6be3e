"""Admin: the settings singleton, and read-mostly views of the records for managers."""

from django.contrib import admin

from .models import AllowanceMonth, BeneficiarySettings, Card, Entitlement, Household, Member


@admin.register(BeneficiarySettings)
class BeneficiarySettingsAdmin(admin.ModelAdmin):
    fieldsets = [
        (
            "Droit d'accès",
            {
                "fields": [
                    "period_months",
                    "max_renewals",
                    "waiting_gap_months",
                    "max_total_months",
                    "participation_rate",
                ]
            },
        ),
        (
            "Montant mensuel",
            {
                "fields": [
                    "allowance_basis",
                    "allowance_one_person",
                    "allowance_two_persons",
                    "allowance_per_child",
                    "allowance_cap",
                    "child_age_limit",
                    "carry_over",
                    "carry_over_cap",
                ]
            },
        ),
        ("Reste à vivre", {"fields": ["rav_divisor", "rav_threshold"]}),
        (
            "Données personnelles",
            {"fields": ["anonymise_after_months", "consent_text_version", "consent_text"]},
        ),
    ]

    def has_add_permission(self, request):
        return not BeneficiarySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["reference", "display_name", "city", "partner", "created_at", "anonymised_at"]
    search_fields = ["reference", "display_name", "members__last_name"]
    list_filter = ["partner"]
    inlines = [MemberInline]


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    list_display = ["household", "start", "end", "status", "monthly_allowance", "participation_rate"]
    list_filter = ["status", "sites"]
    list_select_related = ["household"]
    raw_id_fields = ["household", "renewal_of"]
    # Status changes go through the services (they check the rules and write the audit trail).
    readonly_fields = ["status", "status_reason", "status_changed_at", "status_changed_by"]


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ["number", "household", "is_active", "issued_at"]
    list_filter = ["is_active"]
    search_fields = ["number"]
    list_select_related = ["household"]
    readonly_fields = ["number", "is_active", "replaced_by", "deactivated_at", "deactivation_reason"]


@admin.register(AllowanceMonth)
class AllowanceMonthAdmin(admin.ModelAdmin):
    list_display = ["household", "month", "allowance", "spent_paid", "spent_market", "visits"]
    list_select_related = ["household"]
    readonly_fields = ["spent_paid", "spent_market", "visits", "last_visit_at"]
