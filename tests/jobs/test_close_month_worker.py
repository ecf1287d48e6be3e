"""The monthly close end to end, in-process and through a real Celery worker process, and a
worker killed in the middle of a close: the rerun completes it, nothing duplicated."""
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from grocery.models import JobRun, MonthClosing, MonthlyStatement, StatementCorrection
from grocery.tasks import close_month, reconcile_closed_months
from tests.jobs.conftest import Worker
from tests.jobs.sales import buy
from tests.jobs.test_close_month import OCTOBER, at, entitled, figures

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_monthly_close_end_to_end(run_task, site):
    shoppers = [entitled(site) for _ in range(4)]
    for n, household in enumerate(shoppers):
        buy(household.pk, at(2 + n), paid=f"{8 + n}.00", market=f"{40 + 5 * n}.00")
    buy(shoppers[0].pk, at(25), paid="30.00", market="150.00")  # an overrun
    absent = entitled(site)

    result = run_task(close_month, month="2026-10")

    assert result["status"] == "succeeded"
    assert result["counts"]["households"] == 5 and result["counts"]["created"] == 5
    assert result["counts"]["overruns"] == 1 and result["counts"]["no_visit"] == 1
    assert MonthlyStatement.objects.get(household=absent).no_visit is True
    first = figures()

    again = run_task(close_month, month="2026-10")
    assert again["counts"]["unchanged"] == 5 and again["counts"]["corrected"] == 0
    assert figures() == first

    buy(shoppers[1].pk, at(31, hour=18), paid="2.00", market="10.00")  # a late offline sale
    nightly = run_task(reconcile_closed_months, today="2026-11-02")
    assert nightly["counts"]["corrected"] == 1
    corrected = MonthlyStatement.objects.get(household=shoppers[1])
    assert corrected.revision == 2 and corrected.amount_paid == D("11.00")
    assert MonthlyStatement.objects.count() == 5
    runs = JobRun.objects.filter(task__in=["grocery.close_month", "grocery.reconcile_closed_months"])
    assert set(runs.values_list("status", flat=True)) == {"succeeded"}


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.redis
@pytest.mark.postgres
def test_a_worker_killed_in_the_middle_of_a_close(site, tmp_path, real_worker):
    households = [entitled(site) for _ in range(3)]
    for household in households:
        buy(household.pk, at(3), paid="10.00", market="50.00")
    real_worker.run(close_month, month="2026-10")
    for household in households:
        buy(household.pk, at(30, hour=18), paid="1.00", market="5.00")  # late sales

    # Another session holds the month's closing row, so the close stops right there: after it
    # has rewritten the statements and their corrections, before it commits.
    holding, release = threading.Event(), threading.Event()

    def hold_closing_row():
        try:
            with transaction.atomic():
                MonthClosing.objects.select_for_update().get(month=OCTOBER)
                holding.set()
                release.wait(90)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_closing_row)
    holder.start()
    doomed = Worker(tmp_path / "doomed.log").start()
    try:
        assert holding.wait(10)
        close_month.apply_async(kwargs={"month": "2026-10"}, queue=doomed.queue)
        deadline = time.monotonic() + 60
        while _waiting_on_a_lock() == 0:
            assert time.monotonic() < deadline, doomed.output()
            time.sleep(0.1)
        doomed.kill()
    finally:
        release.set()
        holder.join()
        doomed.stop()

    killed = JobRun.objects.filter(task="grocery.close_month").order_by("-pk").first()
    assert killed.status == JobRun.Status.RUNNING  # it never finished
    # Nothing of the interrupted close is visible: it was one transaction.
    assert set(MonthlyStatement.objects.values_list("revision", flat=True)) == {1}
    assert StatementCorrection.objects.count() == 0

    # The next run (here the nightly reconciliation, on the other worker) does it all.
    deadline = time.monotonic() + 30
    while True:  # the killed worker's backend goes once PostgreSQL notices the lost client
        result = real_worker.run(close_month, month="2026-10")
        if result["status"] != "skipped" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert result["status"] == "succeeded"
    assert result["counts"]["corrected"] == 3
    assert MonthlyStatement.objects.count() == 3
    assert set(MonthlyStatement.objects.values_list("revision", "amount_paid")) == {(2, D("11.00"))}
    assert StatementCorrection.objects.count() == 3
    killed.refresh_from_db()
    assert killed.status == JobRun.Status.ABANDONED
    assert MonthClosing.objects.get(month=OCTOBER).runs == 2
