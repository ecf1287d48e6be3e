"""Reads of the monthly statements shared by the pages and the API."""
import datetime

from django.db.models import Count, Q, QuerySet, Sum

from grocery.models.statements import MonthClosing, MonthlyStatement

#: List filters by name (page `liste=` and API `list=`).
LISTS = {
    "tous": {},
    "depassements": {"overrun__gt": 0},
    "non-recours": {"no_visit": True},
    "corriges": {"revision__gt": 1},
}


def statements(*, month: datetime.date | None = None, kind: str = "tous") -> QuerySet[MonthlyStatement]:
    queryset = MonthlyStatement.objects.select_related("household").order_by(
        "-month", "household__display_name", "household_id"
    )
    if month is not None:
        queryset = queryset.filter(month=month)
    return queryset.filter(**LISTS.get(kind, {}))


def month_summary(month: datetime.date) -> dict:
    """Totals of a closed month, in one aggregate query."""
    return MonthlyStatement.objects.filter(month=month).aggregate(
        households=Count("pk"),
        paid=Sum("amount_paid"),
        market_value=Sum("market_value"),
        savings=Sum("savings"),
        visits=Sum("visits"),
        overrun_total=Sum("overrun"),
        overruns=Count("pk", filter=Q(overrun__gt=0)),
        no_visit=Count("pk", filter=Q(no_visit=True)),
        corrected=Count("pk", filter=Q(revision__gt=1)),
    )


def closed_months() -> list[MonthClosing]:
    return list(MonthClosing.objects.order_by("-month")[:36])
