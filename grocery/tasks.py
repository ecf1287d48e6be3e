"""Celery tasks of the grocery: thin wrappers over the services of grocery.jobs."""
from grocery.jobs import housekeeping, monthly
from grocery.jobs.runs import job


@job("grocery.close_month")
def close_month(*, month: str | None = None, run):
    """Close `month` ('YYYY-MM'; default: last month). Scheduled on the 1st at 02:00."""
    target = monthly.parse_month(month) if month else monthly.previous_month()
    run.set_lock_key(monthly.lock_key(target))
    monthly.month_close(month=target, run=run)


@job("grocery.reconcile_closed_months")
def reconcile_closed_months(*, today: str | None = None, run):
    """Nightly: re-close the recent closed months (late sales), oldest first, and last month if
    its monthly close was missed. Each month is its own transaction and lock."""
    import datetime

    day = datetime.date.fromisoformat(today) if today else None
    closed = []
    for month in monthly.months_to_reconcile(day):
        result = monthly.month_close(month=month)
        closed.append(result.counts())
        run.count("months")
        run.count("corrected", result.corrected)
        run.count("created", result.created)
    run.counts["details"] = closed


@job("grocery.prune_job_history")
def prune_job_history(*, run):
    """Weekly: drop old run logs and stale notifications."""
    run.counts.update(housekeeping.job_history_prune())
