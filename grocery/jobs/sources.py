"""What the monthly close reads from the other apps, one aggregate query each (never one per
household): entitlements and allowance months (beneficiaries), the sales and their lines
(counter), the carry-over setting; and the one thing it writes back, the carry-over into next
month's allowance rows."""
from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, Max, Q, Sum, Value, When

from beneficiaries.models import AllowanceMonth, BeneficiarySettings, Entitlement, Member
from grocery.counter.selectors import month_bounds
from grocery.models import Limit, Refund, Sale, SaleLine

ZERO = Decimal("0.00")
ZERO_QUANTITY = Decimal("0.000")
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


def _sales_in(start: datetime.date):
    """Recorded sales whose local sale date falls in the month of `start` (as the till counts
    them against that month's allowance), offline replays included."""
    month_start, month_end = month_bounds(start)
    return Sale.objects.filter(sold_at__gte=month_start, sold_at__lt=month_end, receipt_number__isnull=False)


def sales_by_household(start: datetime.date, end: datetime.date) -> dict[int, SalesTotals]:
    """household id → what it bought in the month, net of refunds: paid, market value,
    savings, visits (one per sale), last visit. Two aggregate queries."""
    sales = _sales_in(start)
    totals = {
        row["household_id"]: SalesTotals(
            paid=row["paid"], market_value=row["market"], visits=row["visits"],
            last_visit_at=row["last_visit_at"],
        )
        for row in sales.values("household_id").annotate(
            paid=Sum("paid"), market=Sum("market_value"), visits=Count("id"), last_visit_at=Max("sold_at")
        ).order_by()
    }
    refunds = (
        Refund.objects.filter(sale__in=sales)
        .values("sale__household_id")
        .annotate(amount=Sum("amount"), market=Sum("market_value"))
        .order_by()
    )
    for row in refunds:
        household = totals.get(row["sale__household_id"])
        if household is not None:
            household.paid -= row["amount"]
            household.market_value -= row["market"]
    for household in totals.values():
        household.savings = household.market_value - household.paid
    return totals


def limit_usage_by_household(start: datetime.date, end: datetime.date) -> dict[int, list[dict]]:
    """household id → its use of each monthly per-product or per-category limit it touched in
    the month (net of refunds): what was allowed for its size, what it took, whether it went
    over. Three queries, whatever the number of households."""
    rules = list(Limit.objects.filter(is_active=True, period=Limit.Period.MONTH).order_by("name", "pk"))
    if not rules:
        return {}
    product_ids = {rule.product_id for rule in rules if rule.product_id}
    category_ids = {rule.category_id for rule in rules if rule.category_id}
    rows = (
        SaleLine.objects.filter(sale__in=_sales_in(start))
        .filter(Q(product_id__in=product_ids) | Q(category_id__in=category_ids))
        .values("sale__household_id", "sale__site_id", "product_id", "category_id")
        .annotate(taken=Sum(F("quantity") - F("refunded_quantity")))
        .order_by()
    )
    taken: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        taken[row["sale__household_id"]].append(row)
    if not taken:
        return {}
    persons = dict(
        Member.objects.filter(household_id__in=_sales_in(start).values("household_id"))
        .values("household_id").annotate(n=Count("id")).order_by().values_list("household_id", "n")
    )
    usage: dict[int, list[dict]] = {}
    for household_id, household_rows in taken.items():
        size = max(1, persons.get(household_id, 1))
        entries = []
        for rule in rules:
            used = sum(
                (row["taken"] for row in household_rows
                 if (rule.site_id is None or rule.site_id == row["sale__site_id"])
                 and ((rule.product_id and rule.product_id == row["product_id"])
                      or (rule.category_id and rule.category_id == row["category_id"]))),
                ZERO_QUANTITY,
            )
            if used <= 0:
                continue
            allowed = rule.quantity + rule.per_extra_person * (size - 1)
            if rule.max_quantity is not None:
                allowed = min(allowed, rule.max_quantity)
            entries.append({"limit": rule.pk, "name": rule.name, "allowed": f"{allowed:f}",
                            "used": f"{used:f}", "over": used > allowed})
        if entries:
            usage[household_id] = entries
    return usage
