"""Table tests of the pricing function: rates by rule and origin, FEAD at 0 €, rounding."""

from decimal import Decimal as D

import pytest

from grocery.counter.pricing import Portion, Rule, price_line, rate_for, round_money, settle_payments

CEILINGS = {"food_bank": D("0.100"), "pnaa": D("0.200")}
DAIRY, OIL, HYGIENE = 1, 2, 3


@pytest.mark.parametrize(
    ("base", "category", "origin", "given_free", "rules", "expected"),
    [
        # The entitlement's rate applies when nothing else does.
        (D("0.200"), DAIRY, "purchase", False, [], D("0.200")),
        (D("0.300"), DAIRY, "company_donation", False, [], D("0.300")),
        # Statutory ceilings by origin: Banque Alimentaire ≤ 10 %, PNAA ≤ 20 %.
        (D("0.300"), DAIRY, "food_bank", False, [], D("0.100")),
        (D("0.050"), DAIRY, "food_bank", False, [], D("0.050")),
        (D("0.300"), DAIRY, "pnaa", False, [], D("0.200")),
        (D("0.150"), DAIRY, "pnaa", False, [], D("0.150")),
        # FEAD / FSE+ goods and given-free categories: always 0, even with a fixed rule.
        (D("0.300"), DAIRY, "fead", False, [Rule(rate=D("0.5"), category_id=DAIRY)], D("0")),
        (D("0.300"), HYGIENE, "purchase", True, [Rule(rate=D("0.5"), category_id=HYGIENE)], D("0")),
        # A fixed rule by category replaces the entitlement's rate…
        (D("0.200"), OIL, "purchase", False, [Rule(rate=D("0.300"), category_id=OIL)], D("0.300")),
        # …but never lifts goods above the ceiling of their origin.
        (D("0.200"), OIL, "food_bank", False, [Rule(rate=D("0.300"), category_id=OIL)], D("0.100")),
        # Category rules beat origin rules; a rule for another category does not apply.
        (
            D("0.200"),
            OIL,
            "store_pickup",
            False,
            [Rule(rate=D("0.050"), origin="store_pickup"), Rule(rate=D("0.150"), category_id=OIL)],
            D("0.150"),
        ),
        (
            D("0.200"),
            DAIRY,
            "store_pickup",
            False,
            [Rule(rate=D("0.050"), origin="store_pickup"), Rule(rate=D("0.150"), category_id=OIL)],
            D("0.050"),
        ),
        # Ceiling rules only ever lower the rate.
        (
            D("0.200"),
            DAIRY,
            "purchase",
            False,
            [Rule(rate=D("0.100"), category_id=DAIRY, ceiling=True)],
            D("0.100"),
        ),
        (
            D("0.080"),
            DAIRY,
            "purchase",
            False,
            [Rule(rate=D("0.100"), category_id=DAIRY, ceiling=True)],
            D("0.080"),
        ),
    ],
)
def test_rate_for(base, category, origin, given_free, rules, expected):
    rate = rate_for(
        base_rate=base,
        category_id=category,
        origin=origin,
        given_free=given_free,
        rules=rules,
        origin_ceilings=CEILINGS,
    )
    assert rate == expected


@pytest.mark.parametrize(
    ("market_price", "portions", "market_value", "paid", "saving", "rate"),
    [
        (D("2.50"), [(D("2"), D("0.200"))], D("5.00"), D("1.00"), D("4.00"), D("0.200")),
        # Half up to the cent: 0.625 → 0.63, 0.125 → 0.13.
        (D("3.125"), [(D("1"), D("0.200"))], D("3.13"), D("0.63"), D("2.50"), D("0.200")),
        (D("1.25"), [(D("1"), D("0.100"))], D("1.25"), D("0.13"), D("1.12"), D("0.100")),
        # A weighed line: 0.450 kg at 12.90 €/kg × 20 % = 1.161 → 1.16.
        (D("12.90"), [(D("0.450"), D("0.200"))], D("5.81"), D("1.16"), D("4.65"), D("0.200")),
        # FEAD line: counted at its market value, never charged.
        (D("1.99"), [(D("3"), D("0"))], D("5.97"), D("0.00"), D("5.97"), D("0.000")),
        # One line from two lots of different origins: rounded once on the sum.
        # 1 × 0.99 × 0.1 + 1 × 0.99 × 0.2 = 0.297 → 0.30 (rounding each would give 0.10 + 0.20).
        (
            D("0.99"),
            [(D("1"), D("0.100")), (D("1"), D("0.200"))],
            D("1.98"),
            D("0.30"),
            D("1.68"),
            D("0.150"),
        ),
    ],
)
def test_price_line(market_price, portions, market_value, paid, saving, rate):
    result = price_line(market_price=market_price, portions=[Portion(q, r) for q, r in portions])
    assert (result.market_value, result.price_paid, result.saving, result.rate) == (
        market_value,
        paid,
        saving,
        rate,
    )
    assert result.market_value == result.price_paid + result.saving


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [(D("0.005"), D("0.01")), (D("0.004"), D("0.00")), (D("2.675"), D("2.68")), (D("-0.005"), D("-0.01"))],
)
def test_round_money_is_half_up_to_the_cent(amount, rounded):
    assert round_money(amount) == rounded


@pytest.mark.parametrize(
    ("total", "payments", "change", "error"),
    [
        (D("3.20"), [("cash", D("5.00"))], D("1.80"), None),
        (D("3.20"), [("card", D("3.20"))], D("0"), None),
        (D("3.20"), [("card", D("2.00")), ("cash", D("2.00"))], D("0.80"), None),
        (D("0"), [], D("0"), None),
        (D("3.20"), [("cash", D("3.00"))], None, "payment_insufficient"),
        (D("3.20"), [("card", D("5.00"))], None, "change_without_cash"),
    ],
)
def test_settle_payments(total, payments, change, error):
    if error:
        with pytest.raises(ValueError, match=error):
            settle_payments(total=total, payments=payments)
    else:
        assert settle_payments(total=total, payments=payments).change_due == change
