"""How every background job runs: a JobRun row for each run (what it was asked, how long it
took, what it counted, how it ended), a structured log line, retries with exponential back-off
on transient database errors (lost connection, lock time-out, deadlock, serialisation failure),
and the time limits of the settings.

A job is a plain function `func(*args, run: RunRecorder, **kwargs)` that calls services and
fills `run.counts`; `@job("app.name")` turns it into a Celery task:

    @job("grocery.close_month", lock="close_month:{month}")
    def close_month(month=None, *, run): ...

The same function runs in a worker, in-process (eager, the embedded default), or from a
management command (`run_job_now`).
"""
from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from celery import shared_task
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from grocery.models.jobs import JobRun

log = logging.getLogger("grocery.jobs")

#: Errors worth another try later: the database was briefly unreachable, a lock could not be
#: had in time (lock_timeout, deadlock), or a serialisable transaction was refused. Django maps
#: all of them to OperationalError/InterfaceError.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
MAX_RETRIES = 5
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 600


class JobLocked(Exception):
    """Another worker holds this job's lock: this run steps aside (recorded as skipped)."""


def backoff_seconds(retries: int) -> int:
    """10 s, 20 s, 40 s… capped at 10 minutes."""
    return min(BACKOFF_BASE_SECONDS * 2**retries, BACKOFF_MAX_SECONDS)


@dataclass
class RunRecorder:
    """Handed to a job so it can count what it did and name its lock."""

    run: JobRun
    counts: dict[str, Any] = field(default_factory=dict)
    retry_error: str = ""

    def will_retry(self, exc: BaseException) -> None:
        """This attempt failed on a transient error and the job will be tried again."""
        self.retry_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + value

    def set_lock_key(self, key: str) -> None:
        """Name the lock this run is about to take, saved at once (outside any transaction of
        the job) so that a run killed while holding it can be recognised afterwards."""
        self.run.lock_key = key
        JobRun.objects.filter(pk=self.run.pk).update(lock_key=key)

    def claim_lock(self, key: str) -> None:
        """Called once the lock is held: earlier runs that named the same lock and never
        finished (their worker died) are marked abandoned, since none of them can be running."""
        if self.run.lock_key != key:
            self.set_lock_key(key)
        JobRun.objects.filter(
            lock_key=key, status=JobRun.Status.RUNNING, pk__lt=self.run.pk
        ).update(status=JobRun.Status.ABANDONED, finished_at=timezone.now())


@contextmanager
def job_run(task: str, args: dict[str, Any], *, celery_task_id: str = ""):
    """Record one run of `task`; yields a RunRecorder. Re-raises whatever the job raised."""
    run = JobRun.objects.create(
        task=task,
        args=args,
        started_at=timezone.now(),
        celery_task_id=celery_task_id or "",
        hostname=socket.gethostname()[:120],
    )
    started = time.monotonic()
    recorder = RunRecorder(run)
    status, error = JobRun.Status.SUCCEEDED, ""
    try:
        yield recorder
        if recorder.retry_error:
            status, error = JobRun.Status.RETRYING, recorder.retry_error
    except JobLocked as exc:
        status, error = JobRun.Status.SKIPPED, str(exc)
    except Retry as exc:
        status, error = JobRun.Status.RETRYING, str(exc.exc or exc)
        raise
    except SoftTimeLimitExceeded:
        status, error = JobRun.Status.FAILED, "Durée maximale dépassée (soft time limit)."
        raise
    except BaseException as exc:
        status = JobRun.Status.FAILED
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        raise
    finally:
        run.status = status
        run.error = error
        run.finished_at = timezone.now()
        run.duration_ms = int((time.monotonic() - started) * 1000)
        run.counts = recorder.counts
        JobRun.objects.filter(pk=run.pk).update(
            status=run.status, error=run.error, finished_at=run.finished_at,
            duration_ms=run.duration_ms, counts=run.counts,
        )
        log.log(
            logging.WARNING if status not in (JobRun.Status.SUCCEEDED, JobRun.Status.SKIPPED)
            else logging.INFO,
            "job=%s run=%s status=%s duration_ms=%s args=%s counts=%s%s",
            task, run.pk, status, run.duration_ms, args, recorder.counts,
            f" error={error!r}" if error else "",
            extra={"job": task, "job_run": run.pk, "status": str(status),
                   "duration_ms": run.duration_ms, "counts": recorder.counts},
        )


def _time_limits() -> dict[str, int]:
    return {
        "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
        "time_limit": settings.CELERY_TASK_TIME_LIMIT,
    }


def job(name: str, **task_options) -> Callable:
    """Turn `func(*args, run, **kwargs) -> dict` into a recorded, retried Celery task."""

    def decorator(func: Callable) -> Any:
        options = {"acks_late": True, "max_retries": MAX_RETRIES, **_time_limits(), **task_options}

        @shared_task(bind=True, name=name, **options)
        def task(self, *args, **kwargs):
            call_args = {"args": list(args), **kwargs} if args else dict(kwargs)
            attempt = self.request.retries or 0
            while True:
                with job_run(name, call_args, celery_task_id=self.request.id or "") as run:
                    try:
                        func(*args, run=run, **kwargs)
                    except TRANSIENT_ERRORS as exc:
                        if attempt >= self.max_retries:
                            raise
                        if not self.request.is_eager:
                            # Back to the broker, to be tried again later by any worker.
                            raise self.retry(exc=exc, countdown=backoff_seconds(attempt))
                        # In-process (no broker): try again at once.
                        run.will_retry(exc)
                if not run.retry_error:
                    return {"job_run": run.run.pk, "status": run.run.status, "counts": run.counts}
                attempt += 1

        task.job_function = func
        return task

    return decorator


def run_job_now(task, *args, **kwargs) -> JobRun:
    """Run a job in this process (management commands), recorded like any other run."""
    name = task.name
    call_args = {"args": list(args), **kwargs} if args else dict(kwargs)
    with job_run(name, call_args, celery_task_id="manual") as run:
        task.job_function(*args, run=run, **kwargs)
    return run.run
