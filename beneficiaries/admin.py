"""Admin: the settings singleton, and read-mostly views of the records for managers."""

from django.contrib import admin

from .models import (
    AllowanceMonth,
    Attendance,
    BeneficiarySettings,
    BudgetAccess,
    BudgetLine,
    BudgetVersion,
    Card,
    Debt,
    Entitlement,
    Goal,
    GoalProgress,
    Household,
    Member,
    Referral,
    Workshop,
)


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


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0


class DebtInline(admin.TabularInline):
    model = Debt
    extra = 0


@admin.register(BudgetVersion)
class BudgetVersionAdmin(admin.ModelAdmin):
    list_display = ["household", "number", "created_at", "total_income", "total_expenses"]
    list_select_related = ["household"]
    raw_id_fields = ["household"]
    inlines = [BudgetLineInline, DebtInline]


@admin.register(BudgetAccess)
class BudgetAccessAdmin(admin.ModelAdmin):
    """The access log: read-only."""

    list_display = ["at", "user", "household", "context"]
    list_select_related = ["user", "household"]
    list_filter = ["context"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["household", "status", "partner", "created_at", "submitted_at", "decided_at"]
    list_filter = ["status", "partner"]
    list_select_related = ["household", "partner"]
    raw_id_fields = ["household", "budget"]
    # Transitions go through the services (rules, who, when, audit trail).
    readonly_fields = [
        "status",
        "submitted_at",
        "submitted_by",
        "decided_at",
        "decided_by",
        "decision_reason",
    ]


class GoalProgressInline(admin.TabularInline):
    model = GoalProgress
    extra = 0


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["label", "kind", "entitlement", "target_amount", "target_date", "status"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["entitlement"]
    inlines = [GoalProgressInline]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    raw_id_fields = ["household", "entitlement"]


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "site", "theme", "capacity"]
    list_filter = ["site", "theme"]
    inlines = [AttendanceInline]
