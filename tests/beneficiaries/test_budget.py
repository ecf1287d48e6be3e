"""The pure budget rules, checked against values computed by hand."""

from decimal import Decimal

import pytest

from beneficiaries import budget

D = Decimal


@pytest.mark.parametrize(
    ("income", "expenses", "ages", "expected"),
    [
        # (1200 − 900) ÷ 1 ÷ 30 = 10.00
        ("1200.00", "900.00", [40], "10.00"),
        # (1500 − 1020) ÷ 4 ÷ 30 = 480 ÷ 120 = 4.00
        ("1500.00", "1020.00", [38, 36, 10, 7], "4.00"),
        # (980.50 − 700.25) ÷ 3 ÷ 30 = 280.25 ÷ 90 = 3.1138… → 3.11
        ("980.50", "700.25", [29, 5, 2], "3.11"),
        # (1000 − 999.55) ÷ 2 ÷ 30 = 0.45 ÷ 60 = 0.0075 → 0.01 (half up)
        ("1000.00", "999.55", [70, 68], "0.01"),
        # expenses above income: (600 − 750) ÷ 1 ÷ 30 = −5.00
        ("600.00", "750.00", [55], "-5.00"),
    ],
)
def test_reste_a_vivre_per_person(income, expenses, ages, expected):
    assert budget.reste_a_vivre(income=D(income), expenses=D(expenses), ages=ages, divisor="persons") == D(
        expected
    )


@pytest.mark.parametrize(
    ("income", "expenses", "ages", "units", "expected"),
    [
        # one adult: 1 UC. (1200 − 900) ÷ 1 ÷ 30 = 10.00
        ("1200.00", "900.00", [40], "1", "10.00"),
        # couple + 2 children under 14: 1 + 0.5 + 0.3 + 0.3 = 2.1 UC. 480 ÷ 2.1 ÷ 30 = 7.619… → 7.62
        ("1500.00", "1020.00", [38, 36, 10, 7], "2.1", "7.62"),
        # single parent + teenager 15 + child 5: 1 + 0.5 + 0.3 = 1.8 UC. 300 ÷ 1.8 ÷ 30 = 5.555… → 5.56
        ("1100.00", "800.00", [42, 15, 5], "1.8", "5.56"),
        # exactly 14 counts as an adult: 1 + 0.5 = 1.5 UC. 270 ÷ 1.5 ÷ 30 = 6.00
        ("870.00", "600.00", [35, 14], "1.5", "6.00"),
        # couple: 1.5 UC. (600 − 750) ÷ 1.5 ÷ 30 = −3.333… → −3.33
        ("600.00", "750.00", [55, 50], "1.5", "-3.33"),
    ],
)
def test_reste_a_vivre_per_consumption_unit(income, expenses, ages, units, expected):
    assert budget.consumption_units(ages) == D(units)
    result = budget.reste_a_vivre(
        income=D(income), expenses=D(expenses), ages=ages, divisor="consumption_units"
    )
    assert result == D(expected)


def test_reste_a_vivre_needs_members():
    with pytest.raises(ValueError):
        budget.reste_a_vivre(income=D("100"), expenses=D("0"), ages=[], divisor="persons")


def test_formula_is_shown_in_french():
    text = budget.rav_formula(
        income=D("1500"), expenses=D("1020"), parts=D("2.1"), divisor="consumption_units"
    )
    assert text == "(1500.00 € − 1020.00 €) ÷ 2.1 unité(s) de consommation ÷ 30 jours"


@pytest.mark.parametrize(
    ("composition", "expected"),
    [
        ([(40, "applicant")], "single"),
        ([(40, "applicant"), (41, "partner")], "couple"),
        ([(40, "applicant"), (12, "child"), (9, "child")], "single_parent"),
        ([(40, "applicant"), (41, "partner"), (3, "child")], "couple_children"),
        ([(70, "applicant"), (45, "relative")], "other"),
        ([(40, "applicant"), (41, "partner"), (20, "other")], "other"),
    ],
)
def test_household_type(composition, expected):
    assert budget.household_type(composition) == expected


@pytest.mark.parametrize(
    ("ages", "expected"),
    [
        ([40], "20.00"),  # one person
        ([40, 38], "30.00"),  # two adults
        ([40, 10], "25.00"),  # one adult + one child
        ([40, 38, 10, 7], "40.00"),  # 30 + 2 × 5
        ([40, 38, 16, 12, 9, 6, 3], "50.00"),  # 30 + 5 × 5 = 55, capped at 50
    ],
)
def test_suggested_allowance_follows_the_scale(ages, expected):
    result = budget.suggested_allowance(
        ages=ages, one_person=D("20"), two_persons=D("30"), per_child=D("5"), cap=D("50")
    )
    assert result == D(expected)
