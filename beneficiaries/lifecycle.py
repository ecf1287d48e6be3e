"""The entitlement calendar, kept true every day: entitlements past their end date become
expired, and CCAS staff learn which entitlements end soon and which households stopped coming.

`entitlements_expire_due` is the write (one transaction, set-based, audited); the two list
functions are reads used by the daily job and by pages. None of them does one query per row.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from grocery.models import AuditEntry

from .models import Entitlement, Household
from .services import entitlements_expire


@transaction.atomic
def entitlements_expire_due(*, on_date: datetime.date, actor=None) -> list[int]:
    """Expire (through the beneficiaries service) every entitlement still in force whose end
    date is before `on_date`, and audit each. Returns their ids. A second run finds none."""
    due = list(
        Entitlement.objects.select_for_update()
        .filter(status__in=Entitlement.IN_FORCE, end__lt=on_date)
        .order_by("pk")
        .values_list("pk", "status", "end")
    )
    if not due:
        return []
    entitlements_expire(today=on_date)
    AuditEntry.objects.bulk_create([
        AuditEntry(actor=actor, action="entitlement.expire", target_type=Entitlement._meta.label_lower,
                   target_id=str(pk), data={"from": status, "end": end.isoformat(), "by": "job"})
        for pk, status, end in due
    ])
    return [pk for pk, _status, _end in due]


def entitlements_ending_within(*, on_date: datetime.date, days: int) -> QuerySet[Entitlement]:
    """Active entitlements ending in the next `days` days that no renewal follows yet."""
    return (
        Entitlement.objects.filter(
            status=Entitlement.Status.ACTIVE,
            end__gte=on_date,
            end__lte=on_date + datetime.timedelta(days=days),
        )
        .exclude(Exists(Entitlement.objects.filter(renewal_of=OuterRef("pk"))))
        .select_related("household")
        .order_by("end", "household__display_name")
    )


def households_without_visit(*, on_date: datetime.date, days: int) -> QuerySet[Household]:
    """Households with an active entitlement today, which has run for at least `days` days,
    and no visit in the last `days` days (annotated with `last_visit_at`, None if never)."""
    since = on_date - datetime.timedelta(days=days)
    since_dt = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    active = Entitlement.objects.filter(
        household=OuterRef("pk"), status=Entitlement.Status.ACTIVE, start__lte=since, end__gte=on_date
    )
    return (
        Household.objects.filter(Exists(active), anonymised_at__isnull=True)
        .annotate(last_visit_at=Max("allowance_months__last_visit_at"))
        .filter(Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=since_dt))
        .order_by("display_name", "pk")
    )


@dataclass
class LifecycleReport:
    on_date: datetime.date
    expired: list[Entitlement] = field(default_factory=list)
    ending: list[Entitlement] = field(default_factory=list)
    no_visit: list[Household] = field(default_factory=list)


def entitlement_lifecycle_run(
    *, on_date: datetime.date, ending_days: int, no_visit_days: int
) -> LifecycleReport:
    """Expire what is due, then list what CCAS staff should follow up."""
    report = LifecycleReport(on_date=on_date)
    expired_ids = entitlements_expire_due(on_date=on_date)
    report.expired = list(
        Entitlement.objects.filter(pk__in=expired_ids).select_related("household").order_by("end", "pk")
    )
    report.ending = list(entitlements_ending_within(on_date=on_date, days=ending_days))
    report.no_visit = list(households_without_visit(on_date=on_date, days=no_visit_days))
    return report

