"""Use cases that write beneficiaries' data: one function per thing a person (or the till)
does, each in one transaction, each refusing bad input with a coded DomainError."""

from .entitlements import (
    allowance_month_lock,
    allowance_month_record,
    card_issue,
    card_reissue,
    entitlement_create,
    entitlement_end,
    entitlement_renew,
    entitlement_resume,
    entitlement_suspend,
    entitlements_expire,
)
from .goals import attendance_record, goal_close, goal_create, goal_progress_add, workshop_create
from .households import (
    budget_access_record,
    budget_accesses_record,
    budget_record,
    find_duplicates,
    household_create,
    household_update,
    member_add,
    member_remove,
    member_update,
)
from .privacy import household_anonymise, household_export, households_anonymise_due
from .referrals import (
    referral_approve,
    referral_create,
    referral_open,
    referral_refuse,
    referral_submit,
    referral_update,
    referral_withdraw,
)

__all__ = [
    "allowance_month_lock",
    "allowance_month_record",
    "attendance_record",
    "budget_access_record",
    "budget_accesses_record",
    "budget_record",
    "card_issue",
    "card_reissue",
    "entitlement_create",
    "entitlement_end",
    "entitlement_renew",
    "entitlement_resume",
    "entitlement_suspend",
    "entitlements_expire",
    "find_duplicates",
    "goal_close",
    "goal_create",
    "goal_progress_add",
    "household_anonymise",
    "household_create",
    "household_export",
    "household_update",
    "households_anonymise_due",
    "member_add",
    "member_remove",
    "member_update",
    "referral_approve",
    "referral_create",
    "referral_open",
    "referral_refuse",
    "referral_submit",
    "referral_update",
    "referral_withdraw",
    "workshop_create",
]
