"""The Celery application and the beat schedule. Without REDIS_URL, tasks run in-process
(see settings); `celery -A grocery worker` and `celery -A grocery beat` run them in production.

The schedule is in the grocery's time zone (settings.TIME_ZONE, Europe/Paris by default). Every
job recomputes from the database, so a run missed while Redis or beat was down is caught up by
the next one (the nightly reconciliation also closes a month whose monthly run never happened).
"""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")

app = Celery("grocery")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

#: Listed in the README ("Background jobs"): keep both in step.
app.conf.beat_schedule = {
    # Monthly reconciliation: the previous month's statements, on the 1st at 02:00.
    "close-month": {
        "task": "grocery.close_month",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    # Nightly: re-close recent months that received late (offline) sales, and close last month
    # if its monthly run was missed.
    "reconcile-closed-months": {
        "task": "grocery.reconcile_closed_months",
        "schedule": crontab(minute=30, hour=2),
    },
    # Daily: expire entitlements past their end, alert CCAS staff (ending soon, no visit).
    "entitlement-lifecycle": {
        "task": "beneficiaries.entitlement_lifecycle",
        "schedule": crontab(minute=0, hour=6),
    },
    # Daily, one run per active site: use-by dates, waste proposals, low stock, cold chain.
    "expiry-watch": {
        "task": "stock.expiry_watch",
        "schedule": crontab(minute=15, hour=6),
    },
    # Nightly: the stock ledger check (cached quantities against the movements).
    "check-ledger": {
        "task": "stock.check_ledger",
        "schedule": crontab(minute=30, hour=3),
    },
    # Monthly, on the 2nd: anonymise households past the retention period (GDPR).
    "anonymise-households": {
        "task": "beneficiaries.anonymise_households",
        "schedule": crontab(minute=0, hour=4, day_of_month=2),
    },
    # Weekly housekeeping: old run logs and stale notifications.
    "prune-job-history": {
        "task": "grocery.prune_job_history",
        "schedule": crontab(minute=0, hour=3, day_of_week="sunday"),
    },
}
