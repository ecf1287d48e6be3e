"""Models of beneficiaries: households and their members, budgets, referrals, entitlements,
goal contracts, workshops, cards, and the monthly allowance row the counter locks."""

from .allowances import AllowanceMonth
from .budgets import BudgetAccess, BudgetLine, BudgetVersion, Debt, ExpenseCategory, IncomeCategory
from .cards import Card
from .entitlements import AllowanceBasis, Entitlement
from .goals import Attendance, Goal, GoalProgress, Workshop
from .households import Household, HouseholdType, Member
from .referrals import Referral
from .settings import BeneficiarySettings, RavDivisor

__all__ = [
    "Attendance",
    "BudgetAccess",
    "BudgetLine",
    "BudgetVersion",
    "Debt",
    "ExpenseCategory",
    "Goal",
    "GoalProgress",
    "HouseholdType",
    "IncomeCategory",
    "Referral",
    "Workshop",
    "AllowanceBasis",
    "AllowanceMonth",
    "BeneficiarySettings",
    "Card",
    "Entitlement",
    "Household",
    "Member",
    "RavDivisor",
]
