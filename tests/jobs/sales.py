"""Test helper: record what a household bought, the way the till does, for the monthly close."""
import datetime
from decimal import Decimal

from django.db import transaction

from beneficiaries.services import allowance_month_lock, allowance_month_record


def buy(household_id: int, at: datetime.datetime, *, paid: str, market: str, visit: bool = True) -> None:
    """A sale of `paid` € (market value `market` €) at `at`, counted against that month."""
    with transaction.atomic():
        month = allowance_month_lock(household_id=household_id, on_date=at.date())
        allowance_month_record(month=month, paid=Decimal(paid), market=Decimal(market), visit=visit, at=at)
