"""Table tests of the limit functions: scaling to the household, per visit and per month."""

import datetime as dt
from decimal import Decimal as D

import pytest

from grocery.counter.limits import (
    PER_MONTH,
    PER_VISIT,
    Demand,
    LimitRule,
    VisitRule,
    allowance_shortfall,
    check_limits,
    usage_summary,
    visit_refusal,
)

OIL, COFFEE, NAPPIES = 10, 11, 12
GROCERY_CAT, HYGIENE_CAT = 1, 2

oil_month = LimitRule(
    id=1,
    name="Huile",
    period=PER_MONTH,
    quantity=D("1"),
    per_extra_person=D("1"),
    max_quantity=D("3"),
    product_id=OIL,
)
coffee_visit = LimitRule(id=2, name="Café", period=PER_VISIT, quantity=D("1"), product_id=COFFEE)
hygiene_month = LimitRule(
    id=3, name="Hygiène", period=PER_MONTH, quantity=D("4"), per_extra_person=D("2"), category_id=HYGIENE_CAT
)


@pytest.mark.parametrize(
    ("rule", "persons", "allowed"),
    [
        (oil_month, 1, D("1")),
        (oil_month, 2, D("2")),
        (oil_month, 3, D("3")),
        (oil_month, 6, D("3")),
        (coffee_visit, 5, D("1")),
        (hygiene_month, 4, D("10")),
    ],
)
def test_limits_scale_with_the_household(rule, persons, allowed):
    assert rule.allowed_for(persons) == allowed


@pytest.mark.parametrize(
    ("demands", "persons", "usage_product", "usage_category", "breached"),
    [
        # Within the monthly limit of a two-person household.
        ([Demand(0, OIL, GROCERY_CAT, D("2"))], 2, {}, {}, []),
        # Over it once this month's earlier sales are counted.
        ([Demand(0, OIL, GROCERY_CAT, D("1"))], 2, {OIL: D("2")}, {}, [(1, 0)]),
        # Two lines of the same product add up; the breach names the first.
        (
            [Demand(0, COFFEE, GROCERY_CAT, D("1")), Demand(3, COFFEE, GROCERY_CAT, D("1"))],
            1,
            {},
            {},
            [(2, 0)],
        ),
        # Per visit: earlier sales this month do not count.
        ([Demand(0, COFFEE, GROCERY_CAT, D("1"))], 1, {COFFEE: D("5")}, {}, []),
        # A category limit adds up the products of the category.
        ([Demand(0, NAPPIES, HYGIENE_CAT, D("3")), Demand(1, 99, HYGIENE_CAT, D("2"))], 1, {}, {}, [(3, 0)]),
        ([Demand(0, NAPPIES, HYGIENE_CAT, D("3"))], 1, {}, {HYGIENE_CAT: D("2")}, [(3, 0)]),
        ([Demand(0, NAPPIES, HYGIENE_CAT, D("3"))], 2, {}, {HYGIENE_CAT: D("2")}, []),
        # Unlimited products are never refused.
        ([Demand(0, 99, GROCERY_CAT, D("100"))], 1, {}, {}, []),
    ],
)
def test_check_limits(demands, persons, usage_product, usage_category, breached):
    breaches = check_limits(
        demands=demands,
        rules=[oil_month, coffee_visit, hygiene_month],
        persons=persons,
        month_usage_by_product=usage_product,
        month_usage_by_category=usage_category,
    )
    assert [(b.rule.id, b.line) for b in breaches] == breached


def test_a_breach_says_by_how_much():
    [breach] = check_limits(
        demands=[Demand(2, OIL, None, D("2"))],
        rules=[oil_month],
        persons=1,
        month_usage_by_product={OIL: D("1")},
    )
    assert (breach.allowed, breach.already_taken, breach.requested, breach.over_by) == (
        D("1"),
        D("1"),
        D("2"),
        D("2"),
    )


def test_usage_summary_for_the_card_lookup():
    [oil, coffee] = usage_summary(
        rules=[oil_month, coffee_visit],
        persons=2,
        month_usage_by_product={OIL: D("1.000")},
        month_usage_by_category={},
    )
    assert (oil["allowed"], oil["used"], oil["remaining"]) == ("2.000", "1.000", "1.000")
    assert coffee["period"] == PER_VISIT and coffee["remaining"] == "1.000"


@pytest.mark.parametrize(
    ("remaining", "amount", "shortfall"),
    [
        (D("10.00"), D("9.99"), D("0")),
        (D("10.00"), D("10.00"), D("0")),
        (D("10.00"), D("10.01"), D("0.01")),
        (D("0"), D("0"), D("0")),
    ],
)
def test_allowance_shortfall(remaining, amount, shortfall):
    assert allowance_shortfall(remaining=remaining, amount=amount) == shortfall


TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("rule", "last", "visits", "refusal"),
    [
        (VisitRule(), TODAY, 30, None),
        (VisitRule(min_days_between=7), TODAY - dt.timedelta(days=6), 1, "visit_too_soon"),
        (VisitRule(min_days_between=7), TODAY - dt.timedelta(days=7), 1, None),
        (VisitRule(min_days_between=7), None, 0, None),
        (VisitRule(max_per_month=4), None, 4, "visits_exhausted"),
        (VisitRule(max_per_month=4), None, 3, None),
    ],
)
def test_visit_frequency(rule, last, visits, refusal):
    assert visit_refusal(rule=rule, last_visit_on=last, visits_this_month=visits, today=TODAY) == refusal
