"""What a household may take: per-product and per-category limits, visit frequency, allowance.

Pure functions over plain values; the sale service gathers the usage (this month's sales, the
last visit, the allowance month) under the household's lock and asks these functions whether
the sale fits. A manager may override limits on a sale with a recorded reason: the service then
records the breaches instead of refusing them.

A limit is set for a one-person household and scaled to the household: `quantity` for the first
person, plus `per_extra_person` for each other person, capped by `max_quantity` when set.
Quantities are in the product's unit (pieces, kilograms or litres); a category limit adds up the
quantities of the products of that category.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0")
PER_VISIT = "visit"
PER_MONTH = "month"


@dataclass(frozen=True)
class LimitRule:
    id: int
    name: str
    period: str  # PER_VISIT or PER_MONTH
    quantity: Decimal
    per_extra_person: Decimal = ZERO
    max_quantity: Decimal | None = None
    product_id: int | None = None
    category_id: int | None = None

    def allowed_for(self, persons: int) -> Decimal:
        allowed = self.quantity + self.per_extra_person * max(0, persons - 1)
        if self.max_quantity is not None:
            allowed = min(allowed, self.max_quantity)
        return allowed

    def covers(self, product_id: int, category_id: int | None) -> bool:
        if self.product_id is not None:
            return self.product_id == product_id
        return self.category_id is not None and self.category_id == category_id


@dataclass(frozen=True)
class Demand:
    """What one line of the sale asks for."""

    index: int
    product_id: int
    category_id: int | None
    quantity: Decimal


@dataclass(frozen=True)
class Breach:
    rule: LimitRule
    line: int  # index of the first line the limit concerns
    allowed: Decimal
    already_taken: Decimal  # this month (monthly limits) or 0 (per visit)
    requested: Decimal

    @property
    def over_by(self) -> Decimal:
        return self.already_taken + self.requested - self.allowed


def check_limits(
    *,
    demands: Iterable[Demand],
    rules: Iterable[LimitRule],
    persons: int,
    month_usage_by_product: Mapping[int, Decimal] | None = None,
    month_usage_by_category: Mapping[int, Decimal] | None = None,
) -> list[Breach]:
    """The limits this sale would break, in the order of the lines concerned."""
    demands = list(demands)
    month_usage_by_product = month_usage_by_product or {}
    month_usage_by_category = month_usage_by_category or {}
    breaches = []
    for rule in rules:
        concerned = [d for d in demands if rule.covers(d.product_id, d.category_id)]
        if not concerned:
            continue
        requested = sum((d.quantity for d in concerned), ZERO)
        if rule.period == PER_MONTH:
            if rule.product_id is not None:
                already = month_usage_by_product.get(rule.product_id, ZERO)
            else:
                already = month_usage_by_category.get(rule.category_id, ZERO)
        else:
            already = ZERO
        allowed = rule.allowed_for(persons)
        if already + requested > allowed:
            breaches.append(
                Breach(
                    rule=rule,
                    line=concerned[0].index,
                    allowed=allowed,
                    already_taken=already,
                    requested=requested,
                )
            )
    breaches.sort(key=lambda breach: breach.line)
    return breaches


def usage_summary(
    *,
    rules: Iterable[LimitRule],
    persons: int,
    month_usage_by_product: Mapping[int, Decimal],
    month_usage_by_category: Mapping[int, Decimal],
) -> list[dict]:
    """For the card lookup: each limit with what is allowed, taken this month and left."""
    summary = []
    for rule in rules:
        allowed = rule.allowed_for(persons)
        if rule.period == PER_MONTH:
            usage = (
                month_usage_by_product.get(rule.product_id, ZERO)
                if rule.product_id is not None
                else month_usage_by_category.get(rule.category_id, ZERO)
            )
        else:
            usage = ZERO
        summary.append(
            {
                "limit": rule.id,
                "name": rule.name,
                "product": rule.product_id,
                "category": rule.category_id,
                "period": rule.period,
                "allowed": f"{allowed:.3f}",
                "used": f"{Decimal(usage):.3f}",
                "remaining": f"{max(ZERO, allowed - usage):.3f}",
            }
        )
    return summary


def allowance_shortfall(*, remaining: Decimal, amount: Decimal) -> Decimal:
    """How much the sale goes over what is left of the month's allowance (0 when it fits)."""
    return max(ZERO, amount - remaining)


@dataclass(frozen=True)
class VisitRule:
    min_days_between: int = 0  # 0: no minimum
    max_per_month: int = 0  # 0: no maximum


def visit_refusal(
    *, rule: VisitRule, last_visit_on: dt.date | None, visits_this_month: int, today: dt.date
) -> str | None:
    """Why this visit is too frequent ("visit_too_soon", "visits_exhausted"), or None."""
    if (
        rule.min_days_between
        and last_visit_on is not None
        and (today - last_visit_on).days < rule.min_days_between
    ):
        return "visit_too_soon"
    if rule.max_per_month and visits_this_month >= rule.max_per_month:
        return "visits_exhausted"
    return None


def usage_totals(rows: Iterable[tuple[int, int | None, Decimal]]) -> tuple[dict, dict]:
    """(product_id, category_id, quantity) rows → usage by product and by category."""
    by_product: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_category: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for product_id, category_id, quantity in rows:
        by_product[product_id] += quantity
        if category_id is not None:
            by_category[category_id] += quantity
    return dict(by_product), dict(by_category)
