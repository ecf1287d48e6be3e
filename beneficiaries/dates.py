"""Calendar helpers for entitlement periods and allowance months."""

import calendar
from datetime import date, timedelta


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month (31 Jan + 1 = 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start: date, months: int) -> date:
    """Last day of a period of `months` months starting on `start` (1 Mar + 3 months → 31 May)."""
    return add_months(start, months) - timedelta(days=1)


def months_between(start: date, end: date) -> int:
    """Whole months covered by [start, end], rounding a started month up (for the total cap)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) <= end:
        months += 1
    return max(months, 0)
