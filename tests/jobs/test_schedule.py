"""The beat schedule in grocery/celery.py: every job scheduled, at the time the README says,
and every scheduled task registered."""
from celery.schedules import crontab

from grocery.celery import app


def test_the_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled == {
        "grocery.close_month", "grocery.reconcile_closed_months", "beneficiaries.entitlement_lifecycle",
        "stock.expiry_watch", "grocery.prune_job_history", "beneficiaries.anonymise_households",
        "stock.check_ledger",
    }
    assert scheduled <= set(app.tasks)


def test_the_monthly_close_runs_on_the_first_at_two_in_the_grocerys_time_zone():
    schedule = app.conf.beat_schedule["close-month"]["schedule"]
    assert schedule == crontab(minute=0, hour=2, day_of_month=1)
    assert app.conf.timezone == "Europe/Paris"


def test_daily_jobs_run_every_day():
    for name, hour in (("entitlement-lifecycle", 6), ("expiry-watch", 6), ("reconcile-closed-months", 2)):
        schedule = app.conf.beat_schedule[name]["schedule"]
        assert schedule.hour == {hour} and schedule.day_of_month == set(range(1, 32))
