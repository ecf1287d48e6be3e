"""The job plumbing: every run recorded, transient errors retried with back-off, the lock,
sending after commit, and the till never waiting for (or failing on) a broker that is down."""
import threading
import time

import pytest
from celery import Celery
from django.db import OperationalError, connections, transaction

from grocery.celery import app as celery_app
from grocery.jobs.enqueue import enqueue_on_commit, send_task_safely
from grocery.jobs.locks import try_job_lock
from grocery.jobs.runs import JobLocked, backoff_seconds, job, run_job_now
from grocery.models.jobs import JobRun

pytestmark = pytest.mark.django_db

calls: list = []


@job("tests.counting_job")
def counting_job(n: int = 1, *, run):
    calls.append(n)
    run.count("things", n)


@job("tests.flaky_job", max_retries=2)
def flaky_job(*, run, failures: int):
    calls.append("try")
    if len(calls) <= failures:
        raise OperationalError("canceling statement due to lock timeout")
    run.count("done")


@job("tests.broken_job")
def broken_job(*, run):
    raise ValueError("données incohérentes")


@job("tests.locked_job")
def locked_job(*, run):
    raise JobLocked("close_month:2026-10 is held by another worker")


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


def test_a_run_is_recorded_with_its_counts_and_duration():
    result = counting_job.delay(n=3).get()
    run = JobRun.objects.get()
    assert result == {"job_run": run.pk, "status": "succeeded", "counts": {"things": 3}}
    assert run.task == "tests.counting_job"
    assert run.args == {"n": 3}
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.finished_at >= run.started_at
    assert run.duration_ms is not None
    assert run.counts == {"things": 3}


def test_a_failed_run_is_recorded_with_its_error():
    with pytest.raises(ValueError):
        broken_job.delay().get()
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.FAILED
    assert "données incohérentes" in run.error


def test_a_run_that_finds_the_lock_taken_is_recorded_as_skipped():
    result = locked_job.delay().get()
    assert result["status"] == "skipped"
    assert JobRun.objects.get().status == JobRun.Status.SKIPPED


def test_transient_database_errors_are_retried_until_success():
    result = flaky_job.delay(failures=2).get()
    assert calls == ["try", "try", "try"]
    assert result["counts"] == {"done": 1}
    statuses = list(JobRun.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["retrying", "retrying", "succeeded"]


def test_retries_stop_after_the_maximum():
    with pytest.raises(OperationalError):
        flaky_job.delay(failures=10).get()
    assert len(calls) == 3  # the first try and two retries
    assert JobRun.objects.order_by("-pk").first().status == JobRun.Status.FAILED


def test_backoff_is_exponential_and_capped():
    assert [backoff_seconds(n) for n in range(4)] == [10, 20, 40, 80]
    assert backoff_seconds(20) == 600


def test_tasks_carry_the_time_limits_of_the_settings(settings):
    task = celery_app.tasks["tests.counting_job"]
    assert task.soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert task.time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert task.acks_late is True


def test_run_job_now_records_a_manual_run():
    run = run_job_now(counting_job, n=2)
    assert run.celery_task_id == "manual"
    assert run.status == JobRun.Status.SUCCEEDED
    assert calls == [2]


@pytest.mark.django_db(transaction=True)
def test_a_task_is_sent_only_after_the_commit():
    with transaction.atomic():
        enqueue_on_commit(counting_job, n=5)
        assert calls == []
    assert calls == [5]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_for_a_rolled_back_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(counting_job, n=5)
        raise RuntimeError("the sale failed")
    assert calls == []


@pytest.fixture
def broker_down_app(settings):
    """A Celery app configured like ours (timeouts included), pointed at a Redis that is down."""
    app = Celery("down", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app.conf.result_backend = None
    app.conf.task_always_eager = False

    @app.task(name="tests.never_delivered")
    def never_delivered():
        calls.append("ran")

    yield never_delivered
    app.close()


def test_with_redis_down_enqueueing_neither_raises_nor_waits(
    broker_down_app, caplog, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_on_commit(broker_down_app)
    assert len(callbacks) == 1
    elapsed = time.monotonic() - started
    assert elapsed < 10
    assert calls == []
    assert "could not be sent" in caplog.text


def test_send_task_safely_reports_a_broker_failure(broker_down_app):
    assert send_task_safely(broker_down_app) is False


@pytest.mark.django_db(transaction=True)
def test_the_lock_must_be_taken_inside_a_transaction():
    with pytest.raises(RuntimeError):
        try_job_lock("close_month:2026-10")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_hold_the_same_lock():
    """A second transaction cannot take a lock another holds; it can once the first ends, and a
    different lock name is independent."""
    holding, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                assert try_job_lock("close_month:2026-10")
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(10)
    try:
        with transaction.atomic():
            assert try_job_lock("close_month:2026-10") is False
            assert try_job_lock("close_month:2026-11") is True
    finally:
        release.set()
        thread.join()
    with transaction.atomic():
        assert try_job_lock("close_month:2026-10") is True
