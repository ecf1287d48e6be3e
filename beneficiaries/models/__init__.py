"""Models of beneficiaries: households and their members, budgets, referrals, entitlements,
goal contracts, workshops, cards, and the monthly allowance row the counter locks."""

from .allowances import AllowanceMonth
from .cards import Card
from .entitlements import AllowanceBasis, Entitlement
from .households import Household, Member
from .settings import BeneficiarySettings, RavDivisor

__all__ = [
    "AllowanceBasis",
    "AllowanceMonth",
    "BeneficiarySettings",
    "Card",
    "Entitlement",
    "Household",
    "Member",
    "RavDivisor",
]
