"""Read-only API of the monthly statements (CCAS staff and managers) and of the job runs
(managers): what the background jobs computed and how their runs went."""
import django_filters
from rest_framework import mixins, serializers, viewsets

from grocery.models.jobs import JobRun
from grocery.models.statements import MonthlyStatement, StatementCorrection

from . import selectors
from .monthly import parse_month


class StatementCorrectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementCorrection
        fields = ["revision", "at", "changes"]


class MonthlyStatementSerializer(serializers.ModelSerializer):
    household = serializers.SerializerMethodField()
    month = serializers.DateField(format="%Y-%m")

    class Meta:
        model = MonthlyStatement
        fields = ["id", "household", "month", "entitlement", "allowance_basis", "allowance", "carried_in",
                  "amount_paid", "market_value", "savings", "spent", "overrun", "carry_over", "visits",
                  "last_visit_at", "no_visit", "limit_usage", "revision", "closed_at", "updated_at"]
        read_only_fields = fields

    def get_household(self, obj) -> dict:
        return {"id": obj.household_id, "display_name": obj.household.display_name,
                "reference": obj.household.reference}


class MonthlyStatementDetailSerializer(MonthlyStatementSerializer):
    corrections = StatementCorrectionSerializer(many=True, read_only=True)

    class Meta(MonthlyStatementSerializer.Meta):
        fields = [*MonthlyStatementSerializer.Meta.fields, "corrections"]
        read_only_fields = fields


class MonthlyStatementFilter(django_filters.FilterSet):
    month = django_filters.CharFilter(method="filter_month", label="mois (AAAA-MM)")
    list = django_filters.ChoiceFilter(
        method="filter_list", label="liste",
        choices=[("depassements", "dépassements"), ("non-recours", "aucun passage"),
                 ("corriges", "corrigés après clôture")],
    )

    class Meta:
        model = MonthlyStatement
        fields = ["household"]

    def filter_month(self, queryset, name, value):
        try:
            return queryset.filter(month=parse_month(value))
        except ValueError as exc:
            raise serializers.ValidationError({"month": [str(exc)]}) from None

    def filter_list(self, queryset, name, value):
        return queryset.filter(**selectors.LISTS.get(value, {}))


class MonthlyStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly statements (one per household and month), with their corrections after the close."""

    capability = "reports.view"
    filterset_class = MonthlyStatementFilter
    ordering_fields = ["month", "overrun", "amount_paid", "visits"]

    def get_queryset(self):
        queryset = selectors.statements()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("corrections")
        return queryset

    def get_serializer_class(self):
        return MonthlyStatementDetailSerializer if self.action == "retrieve" else MonthlyStatementSerializer


class JobRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobRun
        fields = ["id", "task", "args", "status", "started_at", "finished_at", "duration_ms", "counts",
                  "error", "hostname"]
        read_only_fields = fields


class JobRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The log of background job runs, newest first (`?task=grocery.close_month&status=failed`)."""

    capability = "settings.manage"
    serializer_class = JobRunSerializer
    queryset = JobRun.objects.all()
    filterset_fields = ["task", "status"]
