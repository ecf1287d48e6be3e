"""The beneficiaries API (/api/v1/): households, budgets, referrals and the commission,
entitlements, goals, workshops, and the till's card lookup. Thin: validate, call one service,
serialise. Object-level privacy comes from the selectors' querysets."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from grocery.models import Site
from grocery.permissions import has_capability, is_partner_only

from . import selectors, services
from .models import (
    Attendance,
    BeneficiarySettings,
    Entitlement,
    ExpenseCategory,
    Goal,
    GoalProgress,
    Household,
    IncomeCategory,
    Member,
    Referral,
    Workshop,
)

# --- Serializers (output) ----------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = [
            "id",
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "relationship",
            "has_disability",
            "is_migrant",
            "is_homeless",
        ]


class EntitlementSerializer(serializers.ModelSerializer):
    sites = serializers.SerializerMethodField()
    renewed_by = serializers.SerializerMethodField()

    class Meta:
        model = Entitlement
        fields = [
            "id",
            "household",
            "referral",
            "sites",
            "start",
            "end",
            "monthly_allowance",
            "allowance_basis",
            "participation_rate",
            "status",
            "renewal_of",
            "renewal_number",
            "renewed_by",
            "override_reason",
            "status_reason",
            "status_changed_at",
            "created_at",
        ]

    def get_sites(self, obj) -> list[int]:
        return sorted(site.pk for site in obj.sites.all())

    def get_renewed_by(self, obj) -> int | None:
        renewal = getattr(obj, "renewal", None)
        return renewal.pk if renewal is not None else None


class HouseholdSerializer(serializers.ModelSerializer):
    members = MemberSerializer(many=True, read_only=True)
    household_type = serializers.CharField(read_only=True)
    persons = serializers.IntegerField(read_only=True)
    consumption_units = serializers.DecimalField(max_digits=5, decimal_places=1, read_only=True)
    card = serializers.SerializerMethodField()
    entitlements = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = [
            "id",
            "reference",
            "display_name",
            "phone",
            "email",
            "address",
            "postcode",
            "city",
            "notes",
            "household_type",
            "persons",
            "consumption_units",
            "members",
            "consent_at",
            "consent_text_version",
            "partner",
            "card",
            "entitlements",
            "created_at",
            "anonymised_at",
        ]

    def get_card(self, obj) -> str | None:
        cards = getattr(obj, "active_cards", None)
        if cards is None:
            cards = list(obj.cards.filter(is_active=True))
        return cards[0].number if cards else None

    def get_entitlements(self, obj) -> list[dict]:
        return [
            {
                "id": e.pk,
                "status": e.status,
                "start": e.start,
                "end": e.end,
                "monthly_allowance": f"{e.monthly_allowance:.2f}",
                "sites": sorted(s.pk for s in e.sites.all()),
            }
            for e in obj.entitlements.all()
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not has_capability(request.user, "household.view_budget"):
            data.pop("notes", None)  # notes are as sensitive as the budget
        return data


class ReferralSerializer(serializers.ModelSerializer):
    household = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    entitlement = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id",
            "status",
            "household",
            "partner",
            "created_by",
            "created_at",
            "situation",
            "reason",
            "proposed_goal",
            "requested_months",
            "submitted_at",
            "decided_at",
            "decided_by",
            "decision_reason",
            "entitlement",
        ]

    def get_household(self, obj) -> dict:
        household = obj.household
        return {
            "id": household.pk,
            "reference": household.reference,
            "display_name": household.display_name,
            "persons": len(household.members.all()),
        }

    def get_created_by(self, obj) -> str | None:
        return obj.created_by.get_full_name() or obj.created_by.username if obj.created_by else None

    def get_decided_by(self, obj) -> str | None:
        return obj.decided_by.get_full_name() or obj.decided_by.username if obj.decided_by else None

    def get_entitlement(self, obj) -> int | None:
        entitlements = getattr(obj, "entitlement_list", None)
        if entitlements is None:
            entitlements = list(obj.entitlements.all())
        return min((e.pk for e in entitlements), default=None)

    # No budget here: budgets are read (and their reading logged) through the commission view
    # and /households/{id}/budget/ only.


class GoalProgressSerializer(serializers.ModelSerializer):
    class Meta:
        model = GoalProgress
        fields = ["id", "on_date", "amount", "note"]


class GoalSerializer(serializers.ModelSerializer):
    progress = GoalProgressSerializer(source="progress_entries", many=True, read_only=True)
    progress_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    savings = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="Économies à l'épicerie pendant le droit (valeur − payé).",
    )
    household = serializers.IntegerField(source="entitlement.household_id", read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            "entitlement",
            "household",
            "kind",
            "label",
            "target_amount",
            "target_date",
            "status",
            "outcome",
            "progress_total",
            "savings",
            "progress",
            "created_at",
        ]


class AttendanceSerializer(serializers.ModelSerializer):
    household_name = serializers.CharField(source="household.display_name", read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "household", "household_name", "entitlement", "attended", "recorded_at"]


class WorkshopSerializer(serializers.ModelSerializer):
    attendances = AttendanceSerializer(many=True, read_only=True)

    class Meta:
        model = Workshop
        fields = ["id", "title", "starts_at", "site", "theme", "capacity", "attendances"]


# --- Serializers (input) -----------------------------------------------------------------------


class MemberInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(Member.Sex.choices, default=Member.Sex.UNDECLARED)
    relationship = serializers.ChoiceField(Member.Relationship.choices, required=False)
    has_disability = serializers.BooleanField(default=False)
    is_migrant = serializers.BooleanField(default=False)
    is_homeless = serializers.BooleanField(default=False)


class MemberUpdateInput(MemberInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class HouseholdInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=160)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    city = serializers.CharField(max_length=80, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    members = MemberInput(many=True)
    consent = serializers.BooleanField()
    confirm_not_duplicate = serializers.BooleanField(default=False)


class HouseholdUpdateInput(serializers.Serializer):
    display_name = serializers.CharField(max_length=160, required=False)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    city = serializers.CharField(max_length=80, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class IncomeInput(serializers.Serializer):
    category = serializers.ChoiceField(IncomeCategory.choices)
    label = serializers.CharField(max_length=120, required=False, allow_blank=True)
    monthly_amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, max_value=100000)


class ExpenseInput(IncomeInput):
    category = serializers.ChoiceField(ExpenseCategory.choices)


class DebtInput(serializers.Serializer):
    creditor = serializers.CharField(max_length=120)
    outstanding = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    monthly_repayment = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, default=0)
    in_repayment_plan = serializers.BooleanField(default=False)


class BudgetInput(serializers.Serializer):
    incomes = IncomeInput(many=True, required=False, default=list)
    expenses = ExpenseInput(many=True, required=False, default=list)
    debts = DebtInput(many=True, required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReferralInput(serializers.Serializer):
    household = serializers.IntegerField(required=False, help_text="Foyer existant (id).")
    new_household = HouseholdInput(required=False, help_text="Ou un nouveau foyer.")
    budget = BudgetInput(required=False)
    situation = serializers.CharField()
    reason = serializers.CharField()
    proposed_goal = serializers.CharField(required=False, allow_blank=True, default="")
    requested_months = serializers.IntegerField(required=False, min_value=1, max_value=24)

    def validate(self, attrs):
        if ("household" in attrs) == ("new_household" in attrs):
            raise serializers.ValidationError(
                {"household": _("Indiquez un foyer existant ou un nouveau foyer.")}
            )
        return attrs


class ReferralUpdateInput(serializers.Serializer):
    situation = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    proposed_goal = serializers.CharField(required=False, allow_blank=True)
    requested_months = serializers.IntegerField(required=False, min_value=1, max_value=24)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ApproveInput(serializers.Serializer):
    sites = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.filter(is_active=True), many=True, allow_empty=False
    )
    start = serializers.DateField(required=False)
    months = serializers.IntegerField(required=False, min_value=1, max_value=60)
    monthly_allowance = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, min_value=0, max_value=100000
    )
    participation_rate = serializers.DecimalField(
        max_digits=4, decimal_places=3, required=False, min_value=0, max_value=1
    )
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")


class RenewInput(serializers.Serializer):
    months = serializers.IntegerField(required=False, min_value=1, max_value=60)
    monthly_allowance = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, min_value=0, max_value=100000
    )
    participation_rate = serializers.DecimalField(
        max_digits=4, decimal_places=3, required=False, min_value=0, max_value=1
    )
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")


class EndInput(serializers.Serializer):
    reason = serializers.CharField()
    on_date = serializers.DateField(required=False)


class GoalInput(serializers.Serializer):
    entitlement = serializers.PrimaryKeyRelatedField(queryset=Entitlement.objects.all())
    kind = serializers.ChoiceField(Goal.Kind.choices)
    label = serializers.CharField(max_length=160)
    target_amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    target_date = serializers.DateField()


class ProgressInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    on_date = serializers.DateField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CloseGoalInput(serializers.Serializer):
    status = serializers.ChoiceField([(s, s) for s in ("reached", "partly", "abandoned")])
    outcome = serializers.CharField()


class WorkshopInput(serializers.Serializer):
    title = serializers.CharField(max_length=160)
    starts_at = serializers.DateTimeField()
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    theme = serializers.ChoiceField(Workshop.Theme.choices)
    capacity = serializers.IntegerField(required=False, min_value=1, allow_null=True)


class AttendanceInput(serializers.Serializer):
    household = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.filter(anonymised_at__isnull=True)
    )
    attended = serializers.BooleanField(default=True)


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Filters -----------------------------------------------------------------------------------


class HouseholdFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Nom, référence ou nom d'un membre")
    city = filters.CharFilter(lookup_expr="iexact")
    partner = filters.NumberFilter()
    has_active_entitlement = filters.BooleanFilter(method="active_entitlement")
    anonymised = filters.BooleanFilter(field_name="anonymised_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Household
        fields = ["q", "city", "partner", "has_active_entitlement", "anonymised"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(display_name__icontains=value)
            | Q(reference__icontains=value)
            | Q(members__last_name__icontains=value)
        ).distinct()

    def active_entitlement(self, queryset, name, value):
        today = timezone.localdate()
        active = Q(
            entitlements__status=Entitlement.Status.ACTIVE,
            entitlements__start__lte=today,
            entitlements__end__gte=today,
        )
        return (queryset.filter(active) if value else queryset.exclude(active)).distinct()


class ReferralFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Referral.Status.choices)
    submitted_after = filters.DateFilter(field_name="submitted_at", lookup_expr="date__gte")
    submitted_before = filters.DateFilter(field_name="submitted_at", lookup_expr="date__lte")

    class Meta:
        model = Referral
        fields = ["status", "partner", "household", "created_by", "submitted_after", "submitted_before"]


class EntitlementFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Entitlement.Status.choices)
    site = filters.NumberFilter(field_name="sites")
    active_on = filters.DateFilter(method="filter_active_on")
    ends_before = filters.DateFilter(field_name="end", lookup_expr="lte")

    class Meta:
        model = Entitlement
        fields = ["status", "household", "site", "active_on", "ends_before"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(status=Entitlement.Status.ACTIVE, start__lte=value, end__gte=value)


class GoalFilter(filters.FilterSet):
    household = filters.NumberFilter(field_name="entitlement__household")

    class Meta:
        model = Goal
        fields = ["entitlement", "household", "status", "kind"]


class WorkshopFilter(filters.FilterSet):
    after = filters.DateFilter(field_name="starts_at", lookup_expr="date__gte")
    before = filters.DateFilter(field_name="starts_at", lookup_expr="date__lte")
    household = filters.NumberFilter(field_name="attendances__household", distinct=True)

    class Meta:
        model = Workshop
        fields = ["site", "theme", "after", "before", "household"]


# --- Views -------------------------------------------------------------------------------------


class HouseholdViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Households (foyers) with members, card and entitlements. Budgets under /budget/."""

    capabilities = {
        "list": "household.view",
        "retrieve": "household.view",
        "create": "household.manage",
        "partial_update": "household.manage",
        "update": "household.manage",
        "members": "household.manage",
        "budget": "household.view_budget",
        "export": "household.export",
        "anonymise": "household.export",
        "reissue_card": "entitlement.manage",
    }
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter
    ordering_fields = ["display_name", "reference", "created_at"]
    ordering = ["display_name", "id"]

    def get_queryset(self):
        return selectors.households_for(self.request.user)

    @extend_schema(request=HouseholdInput, responses={201: HouseholdSerializer})
    def create(self, request):
        data = _valid(HouseholdInput, request)
        household = services.household_create(actor=request.user, **data)
        return Response(self._fresh(household), status=status.HTTP_201_CREATED)

    @extend_schema(request=HouseholdUpdateInput, responses=HouseholdSerializer)
    def partial_update(self, request, pk=None):
        household = self.get_object()
        services.household_update(
            household=household, actor=request.user, **_valid(HouseholdUpdateInput, request)
        )
        return Response(self._fresh(household))

    @extend_schema(request=HouseholdUpdateInput, responses=HouseholdSerializer)
    def update(self, request, pk=None):
        return self.partial_update(request, pk)

    def _fresh(self, household):
        household = selectors.households_for(self.request.user).get(pk=household.pk)
        return HouseholdSerializer(household, context=self.get_serializer_context()).data

    @extend_schema(request=MemberInput, responses={201: MemberSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        household = self.get_object()
        data = _valid(MemberInput, request)
        member = services.member_add(
            household=household,
            actor=request.user,
            confirm_not_duplicate=bool(request.data.get("confirm_not_duplicate")),
            **data,
        )
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=BudgetInput,
        responses=inline_serializer(
            "Budget",
            {
                "version": serializers.IntegerField(),
                "lines": serializers.ListField(),
                "debts": serializers.ListField(),
                "summary": serializers.DictField(),
            },
        ),
    )
    @action(detail=True, methods=["get", "post"])
    def budget(self, request, pk=None):
        """The latest budget (GET, logged in the access log) or a new version (POST)."""
        household = self.get_object()
        if request.method == "POST":
            services.budget_record(household=household, actor=request.user, **_valid(BudgetInput, request))
        version_number = request.query_params.get("version")
        if version_number and not version_number.isdigit():
            raise serializers.ValidationError({"version": _("Numéro de version invalide.")})
        budgets = household.budgets.prefetch_related("lines", "debts")
        version = (
            budgets.filter(number=version_number) if version_number else budgets.order_by("-number")
        ).first()
        services.budget_access_record(household=household, actor=request.user, context="api")
        if version is None:
            return Response({"version": None, "lines": [], "debts": [], "summary": None})
        settings = BeneficiarySettings.get_solo()
        return Response(
            {
                "version": version.number,
                "created_at": version.created_at,
                "note": version.note,
                "lines": [
                    {
                        "kind": line.kind,
                        "category": line.category,
                        "label": line.label,
                        "monthly_amount": f"{line.monthly_amount:.2f}",
                    }
                    for line in version.lines.all()
                ],
                "debts": [
                    {
                        "creditor": d.creditor,
                        "outstanding": f"{d.outstanding:.2f}",
                        "monthly_repayment": f"{d.monthly_repayment:.2f}",
                        "in_repayment_plan": d.in_repayment_plan,
                    }
                    for d in version.debts.all()
                ],
                "summary": selectors.budget_summary(household, version, settings),
            },
            status=status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK,
        )

    @extend_schema(responses=OpenApiResponse(description="Tout ce qui est détenu sur le foyer (RGPD)."))
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        household = self.get_object()
        return Response(services.household_export(household=household, actor=request.user))

    @extend_schema(request=None, responses=HouseholdSerializer)
    @action(detail=True, methods=["post"])
    def anonymise(self, request, pk=None):
        household = services.household_anonymise(household=self.get_object(), actor=request.user)
        return Response(self._fresh(household))

    @extend_schema(
        request=ReasonInput, responses=inline_serializer("Card", {"number": serializers.CharField()})
    )
    @action(detail=True, methods=["post"], url_path="reissue-card")
    def reissue_card(self, request, pk=None):
        household = self.get_object()
        reason = _valid(ReasonInput, request)["reason"]
        card = household.cards.filter(is_active=True).first()
        if card is None:
            card = services.card_issue(household=household, actor=request.user)
        else:
            card = services.card_reissue(card=card, actor=request.user, reason=reason)
        return Response({"number": card.number}, status=status.HTTP_201_CREATED)


class MemberViewSet(mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Change or remove one member (adding is POST /households/{id}/members/)."""

    capability = "household.manage"
    serializer_class = MemberSerializer
    queryset = Member.objects.select_related("household")

    @extend_schema(request=MemberUpdateInput, responses=MemberSerializer)
    def partial_update(self, request, pk=None):
        member = services.member_update(
            member=self.get_object(), actor=request.user, **_valid(MemberUpdateInput, request)
        )
        return Response(MemberSerializer(member).data)

    @extend_schema(request=MemberUpdateInput, responses=MemberSerializer)
    def update(self, request, pk=None):
        return self.partial_update(request, pk)

    def destroy(self, request, pk=None):
        services.member_remove(member=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Referrals (orientations). Partners see and act on their organisation's only, and may no
    longer edit one once submitted."""

    capabilities = {
        "list": "referral.view",
        "retrieve": "referral.view",
        "create": "referral.create",
        "partial_update": "referral.create",
        "update": "referral.create",
        "submit": "referral.create",
        "withdraw": "referral.create",
        "approve": "referral.decide",
        "refuse": "referral.decide",
        "commission": "referral.decide",
    }
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    ordering_fields = ["created_at", "submitted_at", "status"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.referrals_for(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "settings": BeneficiarySettings.get_solo()}

    def _fresh(self, referral, code=status.HTTP_200_OK, **extra):
        referral = self.get_queryset().get(pk=referral.pk)
        return Response(
            {**ReferralSerializer(referral, context=self.get_serializer_context()).data, **extra}, status=code
        )

    @extend_schema(request=ReferralInput, responses={201: ReferralSerializer})
    def create(self, request):
        data = _valid(ReferralInput, request)
        household = None
        if "household" in data:
            # A partner may refer again only a household behind one of its referrals.
            visible = (
                selectors.households_for(request.user) if is_partner_only(request.user) else Household.objects
            )
            household = get_object_or_404(visible, pk=data.pop("household"))
        referral, linked = services.referral_open(actor=request.user, household=household, **data)
        return self._fresh(referral, status.HTTP_201_CREATED, linked_to_existing_household=linked)

    @extend_schema(request=ReferralUpdateInput, responses=ReferralSerializer)
    def partial_update(self, request, pk=None):
        referral = services.referral_update(
            referral=self.get_object(), actor=request.user, **_valid(ReferralUpdateInput, request)
        )
        return self._fresh(referral)

    @extend_schema(request=ReferralUpdateInput, responses=ReferralSerializer)
    def update(self, request, pk=None):
        return self.partial_update(request, pk)

    @extend_schema(request=None, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._fresh(services.referral_submit(referral=self.get_object(), actor=request.user))

    @extend_schema(request=ReasonInput, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        referral = services.referral_withdraw(
            referral=self.get_object(), actor=request.user, reason=_valid(ReasonInput, request)["reason"]
        )
        return self._fresh(referral)

    @extend_schema(request=ReasonInput, responses=ReferralSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        referral = services.referral_refuse(
            referral=self.get_object(), actor=request.user, reason=_valid(ReasonInput, request)["reason"]
        )
        return self._fresh(referral)

    @extend_schema(request=ApproveInput, responses={201: EntitlementSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        referral = self.get_object()
        entitlement = services.referral_approve(
            referral=referral, actor=request.user, **_valid(ApproveInput, request)
        )
        entitlement = Entitlement.objects.prefetch_related("sites").get(pk=entitlement.pk)
        return Response(EntitlementSerializer(entitlement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=inline_serializer(
            "CommissionItem",
            {
                "referral": ReferralSerializer(),
                "members": MemberSerializer(many=True),
                "budget": serializers.DictField(allow_null=True),
                "suggested_allowance": serializers.CharField(),
                "history": serializers.DictField(),
            },
            many=True,
        )
    )
    @action(detail=False, methods=["get"])
    def commission(self, request):
        """Submitted referrals with the reste à vivre, the threshold, the suggested allowance and
        the household's history. Showing a budget is logged for each household on the page."""
        queryset = ReferralFilter(request.query_params, queryset=selectors.referrals_for_commission()).qs
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        rows = selectors.commission_rows(page, settings=context["settings"])
        services.budget_accesses_record(
            households=[row["referral"].household for row in rows if row["budget"]],
            actor=request.user,
            context="api:commission",
        )
        data = [
            {
                "referral": ReferralSerializer(row["referral"], context=context).data,
                "members": MemberSerializer(row["referral"].household.members.all(), many=True).data,
                "budget": row["budget"],
                "suggested_allowance": f"{row['suggested_allowance']:.2f}",
                "history": row["history"],
            }
            for row in rows
        ]
        return self.get_paginated_response(data)


class EntitlementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Entitlements (droits d'accès): created by approving a referral; renewed, suspended,
    resumed or ended here."""

    capabilities = {
        "list": "household.view",
        "retrieve": "household.view",
        "renew": "entitlement.manage",
        "suspend": "entitlement.manage",
        "resume": "entitlement.manage",
        "end": "entitlement.manage",
    }
    serializer_class = EntitlementSerializer
    filterset_class = EntitlementFilter
    queryset = Entitlement.objects.select_related("renewal").prefetch_related("sites")
    ordering_fields = ["start", "end"]
    ordering = ["-start", "-id"]

    def _fresh(self, entitlement, code=status.HTTP_200_OK):
        return Response(EntitlementSerializer(self.get_queryset().get(pk=entitlement.pk)).data, status=code)

    @extend_schema(request=RenewInput, responses={201: EntitlementSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        renewal = services.entitlement_renew(
            entitlement=self.get_object(), actor=request.user, **_valid(RenewInput, request)
        )
        return self._fresh(renewal, status.HTTP_201_CREATED)

    @extend_schema(request=ReasonInput, responses=EntitlementSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        entitlement = services.entitlement_suspend(
            entitlement=self.get_object(), actor=request.user, reason=_valid(ReasonInput, request)["reason"]
        )
        return self._fresh(entitlement)

    @extend_schema(request=ReasonInput, responses=EntitlementSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        entitlement = services.entitlement_resume(
            entitlement=self.get_object(), actor=request.user, reason=_valid(ReasonInput, request)["reason"]
        )
        return self._fresh(entitlement)

    @extend_schema(request=EndInput, responses=EntitlementSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        entitlement = services.entitlement_end(
            entitlement=self.get_object(), actor=request.user, **_valid(EndInput, request)
        )
        return self._fresh(entitlement)


class GoalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Goals of the goal contracts, with progress and the savings made at the grocery."""

    capability = "goal.manage"
    serializer_class = GoalSerializer
    filterset_class = GoalFilter
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.goals_with_progress()

    def _fresh(self, goal, code=status.HTTP_200_OK):
        return Response(GoalSerializer(self.get_queryset().get(pk=goal.pk)).data, status=code)

    @extend_schema(request=GoalInput, responses={201: GoalSerializer})
    def create(self, request):
        return self._fresh(
            services.goal_create(actor=request.user, **_valid(GoalInput, request)), status.HTTP_201_CREATED
        )

    @extend_schema(request=ProgressInput, responses={201: GoalSerializer})
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        goal = self.get_object()
        services.goal_progress_add(goal=goal, actor=request.user, **_valid(ProgressInput, request))
        return self._fresh(goal, status.HTTP_201_CREATED)

    @extend_schema(request=CloseGoalInput, responses=GoalSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        goal = services.goal_close(
            goal=self.get_object(), actor=request.user, **_valid(CloseGoalInput, request)
        )
        return self._fresh(goal)


class WorkshopViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Workshops (ateliers) and who attended."""

    capability = "workshop.manage"
    serializer_class = WorkshopSerializer
    filterset_class = WorkshopFilter
    queryset = Workshop.objects.select_related("site").prefetch_related("attendances__household")
    ordering = ["-starts_at", "id"]

    @extend_schema(request=WorkshopInput, responses={201: WorkshopSerializer})
    def create(self, request):
        workshop = services.workshop_create(actor=request.user, **_valid(WorkshopInput, request))
        return Response(
            WorkshopSerializer(self.get_queryset().get(pk=workshop.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=AttendanceInput, responses={201: AttendanceSerializer})
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        attendance = services.attendance_record(
            workshop=self.get_object(), actor=request.user, **_valid(AttendanceInput, request)
        )
        return Response(AttendanceSerializer(attendance).data, status=status.HTTP_201_CREATED)


class CardViewSet(viewsets.ViewSet):
    """The till's card lookup: what it needs to serve the household, nothing sensitive."""

    capability = "card.lookup"
    lookup_field = "number"
    lookup_value_converter = "str"

    @extend_schema(
        responses=inline_serializer(
            "CardLookup",
            {
                "number": serializers.CharField(),
                "household": serializers.DictField(),
                "entitlement": serializers.DictField(allow_null=True),
                "allowance": serializers.DictField(),
                "limits": serializers.ListField(),
            },
        )
    )
    def retrieve(self, request, number=None):
        card = selectors.card_resolve(number)
        return Response(selectors.card_lookup_payload(card))
