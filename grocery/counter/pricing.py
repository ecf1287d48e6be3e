"""What a household pays for a sale line: market price × participation rate, one rounding rule.

Pure functions, no database: the sale service feeds them the entitlement's rate, the category
and the lot origin of what was allocated, and the pricing rules in force; the till's catalogue
snapshot uses the same rules to show estimates.

The rate of a portion of goods (the quantity taken from one lot) is decided in this order:

1. Goods that must be given free are never charged: FEAD/FSE+ lots and categories marked
   "given free" are at rate 0, whatever else applies.
2. Otherwise the entitlement's participation rate, replaced by the most specific *fixed* rule
   (a rule for the category beats a rule for the lot origin).
3. Then every *ceiling* that applies lowers it: the statutory ceilings by origin (Banque
   Alimentaire ≤ 10 %, PNAA ≤ 20 %, from the counter settings) and ceiling rules.

Rounding: the price of a line is rounded once, to the cent, half up (0.125 € → 0.13 €), after
adding the exact prices of its portions; savings = market value − price paid, both rounded the
same way, so the receipt always adds up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RATE_STEP = Decimal("0.001")
ZERO = Decimal("0")

#: Lot origins whose goods are always free (European food aid: FEAD, now FSE+).
FREE_ORIGINS = frozenset({"fead"})


def round_money(amount: Decimal) -> Decimal:
    """The one rounding rule for money: to the cent, half up."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rule:
    """A pricing rule as the pricing function sees it (see `PricingRule` for the stored form).

    `category_id` or `origin` says what it applies to; `ceiling` rules cap the rate, the others
    set it.
    """

    rate: Decimal
    category_id: int | None = None
    origin: str = ""
    ceiling: bool = False

    def applies_to(self, category_id: int | None, origin: str) -> bool:
        if self.category_id is not None and self.category_id != category_id:
            return False
        return not (self.origin and self.origin != origin)

    @property
    def specificity(self) -> int:
        return (2 if self.category_id is not None else 0) + (1 if self.origin else 0)


def rate_for(
    *,
    base_rate: Decimal,
    category_id: int | None,
    origin: str,
    given_free: bool = False,
    rules: Iterable[Rule] = (),
    origin_ceilings: Mapping[str, Decimal] | None = None,
) -> Decimal:
    """The participation rate for goods of this category from a lot of this origin."""
    if given_free or origin in FREE_ORIGINS:
        return ZERO
    applicable = [rule for rule in rules if rule.applies_to(category_id, origin)]
    fixed = [rule for rule in applicable if not rule.ceiling]
    rate = Decimal(base_rate)
    if fixed:
        rate = max(fixed, key=lambda rule: rule.specificity).rate
    ceilings = [rule.rate for rule in applicable if rule.ceiling]
    if origin_ceilings and origin in origin_ceilings:
        ceilings.append(origin_ceilings[origin])
    if ceilings:
        rate = min([rate, *ceilings])
    return max(ZERO, min(Decimal(1), rate)).quantize(RATE_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Portion:
    """A quantity of one line taken at one rate (from one lot, or one origin)."""

    quantity: Decimal
    rate: Decimal


@dataclass(frozen=True)
class LinePrice:
    market_value: Decimal
    price_paid: Decimal
    saving: Decimal
    rate: Decimal  # the line's rate; a weighted one when its portions had different rates
    portion_prices: tuple[Decimal, ...]  # exact (unrounded) price of each portion

    @property
    def is_free(self) -> bool:
        return self.price_paid == ZERO


def price_line(*, market_price: Decimal, portions: Iterable[Portion]) -> LinePrice:
    """Price one line: the sum of its portions at their rates, rounded once (cent, half up)."""
    portions = list(portions)
    quantity = sum((p.quantity for p in portions), ZERO)
    market_exact = Decimal(market_price) * quantity
    portion_prices = tuple(Decimal(market_price) * p.quantity * p.rate for p in portions)
    market_value = round_money(market_exact)
    price_paid = round_money(sum(portion_prices, ZERO))
    if not portions:
        rate = ZERO
    elif len({p.rate for p in portions}) == 1:
        rate = portions[0].rate
    elif market_exact:
        rate = (sum(portion_prices, ZERO) / market_exact).quantize(RATE_STEP, rounding=ROUND_HALF_UP)
    else:
        rate = ZERO
    return LinePrice(
        market_value=market_value,
        price_paid=price_paid,
        saving=market_value - price_paid,
        rate=Decimal(rate).quantize(RATE_STEP),
        portion_prices=portion_prices,
    )


@dataclass(frozen=True)
class PaymentOutcome:
    paid: Decimal  # what the payments cover of the total
    change_due: Decimal


def settle_payments(*, total: Decimal, payments: Iterable[tuple[str, Decimal]]) -> PaymentOutcome:
    """Check that payments cover the total; only cash can exceed it (the change is given back).

    Raises ValueError with a code ("payment_insufficient", "change_without_cash") that the
    service turns into a DomainError naming the field.
    """
    payments = list(payments)
    received = sum((amount for _, amount in payments), ZERO)
    if received < total:
        raise ValueError("payment_insufficient")
    over = received - total
    cash = sum((amount for method, amount in payments if method == "cash"), ZERO)
    if over > cash:
        # A card or cheque payment cannot be larger than what is due: there is no change on it.
        raise ValueError("change_without_cash")
    return PaymentOutcome(paid=total, change_due=over)
