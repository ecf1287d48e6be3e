"""Pure computations on a household's composition and budget: consumption units, household
type, reste à vivre and the suggested monthly allowance. No database access here, so each rule
can be checked by a table of hand-computed cases.

Money rule: amounts are Decimal; a result is rounded once, at the end, to the cent with
ROUND_HALF_UP (the rounding people do by hand).
"""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
DAYS_PER_MONTH = Decimal(30)

#: INSEE/OECD modified scale: the first person, other persons aged 14 or more, children under 14.
CU_FIRST = Decimal("1")
CU_OTHER_ADULT = Decimal("0.5")
CU_CHILD = Decimal("0.3")
CU_CHILD_AGE = 14


def consumption_units(ages: Iterable[int]) -> Decimal:
    """Consumption units (unités de consommation) of a household given its members' ages.

    The first person aged 14 or more counts 1 (if everybody is under 14, the eldest counts 1),
    each other person aged 14 or more 0.5, each child under 14 0.3.
    """
    ages = sorted(ages, reverse=True)
    if not ages:
        return Decimal("0")
    units = CU_FIRST
    for age in ages[1:]:
        units += CU_OTHER_ADULT if age >= CU_CHILD_AGE else CU_CHILD
    return units


def household_type(composition: Iterable[tuple[int, str]]) -> str:
    """The household type funders ask for, from (age, relationship) pairs.

    single: one person; couple: the applicant and a partner; single_parent: one adult with only
    their children; couple_children: a couple with their children; other: anything else (a
    grandparent, a flatmate…). Relationships are Member.Relationship values.
    """
    relationships = [rel for _age, rel in composition]
    if len(relationships) == 1:
        return "single"
    if not relationships or relationships.count("applicant") != 1:
        return "other"
    partners = relationships.count("partner")
    children = relationships.count("child")
    if partners + children + 1 != len(relationships) or partners > 1:
        return "other"
    if partners and children:
        return "couple_children"
    if partners:
        return "couple"
    return "single_parent"


def reste_a_vivre(
    *, income: Decimal, expenses: Decimal, ages: Iterable[int], divisor: str = "persons"
) -> Decimal:
    """Reste à vivre in euros per person (or per consumption unit) per day.

        (monthly income − monthly fixed expenses) ÷ divisor ÷ 30

    `divisor` is "persons" (number of members) or "consumption_units" (OECD scale above). The
    result may be negative (expenses above income). Raises ValueError for a household without
    members, which has no reste à vivre.
    """
    ages = list(ages)
    if not ages:
        raise ValueError("A household without members has no reste à vivre.")
    if divisor == "persons":
        parts = Decimal(len(ages))
    elif divisor == "consumption_units":
        parts = consumption_units(ages)
    else:
        raise ValueError(f"Unknown divisor {divisor!r}")
    return ((Decimal(income) - Decimal(expenses)) / parts / DAYS_PER_MONTH).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def rav_formula(*, income: Decimal, expenses: Decimal, parts: Decimal, divisor: str) -> str:
    """The formula in French, as shown beside the result."""
    label = "personne(s)" if divisor == "persons" else "unité(s) de consommation"
    return f"({income:.2f} € − {expenses:.2f} €) ÷ {parts.normalize():f} {label} ÷ 30 jours"


def divisor_parts(ages: Iterable[int], divisor: str) -> Decimal:
    ages = list(ages)
    return Decimal(len(ages)) if divisor == "persons" else consumption_units(ages)


def suggested_allowance(
    *,
    ages: Iterable[int],
    one_person: Decimal,
    two_persons: Decimal,
    per_child: Decimal,
    cap: Decimal,
    child_age_limit: int = 18,
) -> Decimal:
    """Monthly allowance from the grocery's scale: `one_person` for one adult, `two_persons` for
    two adults or more, plus `per_child` for each member under `child_age_limit`, capped at
    `cap`. A household of children only (rare: a young adult carer) counts its eldest as adult.
    """
    ages = sorted(ages, reverse=True)
    if not ages:
        return Decimal("0.00")
    adults = sum(1 for age in ages if age >= child_age_limit) or 1
    children = len(ages) - adults
    base = one_person if adults == 1 else two_persons
    return min(base + per_child * children, cap).quantize(CENT, rounding=ROUND_HALF_UP)
