"""Fixtures of the background-job tests: run a task either in-process (eager) or through a real
`celery -A grocery worker` process against Redis and the test database.

The worker is a subprocess started once per session; it reads the test database through
DATABASE_URL (pytest-django's `test_<name>`), so tests that use it commit their rows
(`django_db(transaction=True)`). Worker tests are marked `redis` and `postgres`: an SQLite test
database lives in the test process's memory and cannot be shared.
"""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from grocery.celery import app as celery_app

PROJECT_DIR = Path(__file__).resolve().parents[2]
WORKER_BOOT_SECONDS = 60
TASK_TIMEOUT_SECONDS = 120


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{user}{password}@{host}{port}/{db['NAME']}"


class Worker:
    """A `celery worker` subprocess consuming its own queue."""

    def __init__(self, log_path: Path):
        self.queue = f"jobs-test-{uuid.uuid4().hex[:10]}"
        self.hostname = f"{self.queue}@localhost"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_QUEUE": self.queue,
            "DATABASE_CONN_MAX_AGE": "0",
            "DJANGO_SETTINGS_MODULE": "grocery.settings",
        }
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "grocery", "worker", "--pool", "solo",
             "--queues", self.queue, "--hostname", self.hostname, "--loglevel", "INFO",
             "--without-gossip", "--without-mingle"],
            cwd=PROJECT_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + WORKER_BOOT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited at start:\n{self.output()}")
            if celery_app.control.ping(destination=[self.hostname], timeout=0.5):
                return self
        self.stop()
        raise RuntimeError(f"the worker did not answer within {WORKER_BOOT_SECONDS}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """SIGKILL, as when a machine dies: no warm shutdown, no acknowledgement."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def run(self, task, *args, **kwargs):
        """Send `task` to this worker and wait for its result."""
        result = task.apply_async(args=args, kwargs=kwargs, queue=self.queue)
        try:
            return result.get(timeout=TASK_TIMEOUT_SECONDS)
        except Exception as exc:
            raise AssertionError(f"{task.name} failed in the worker: {exc!r}\n{self.output()}") from exc


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    worker = Worker(tmp_path_factory.mktemp("celery") / "worker.log")
    with django_db_blocker.unblock():
        celery_app.conf.task_always_eager = False
        worker.start()
    yield worker
    worker.stop()


@pytest.fixture(
    params=[
        "eager",
        pytest.param("worker", marks=[pytest.mark.redis, pytest.mark.postgres]),
    ]
)
def run_task(request):
    """`run_task(task, *args, **kwargs)` runs a task in-process, or in the real worker, and
    returns its result. Tests using it need `django_db(transaction=True)`."""
    if request.param == "eager":
        def run(task, *args, **kwargs):
            return task.apply(args=args, kwargs=kwargs).get()

        run.mode = "eager"
        return run
    worker = request.getfixturevalue("celery_worker_process")
    celery_app.conf.task_always_eager = False

    def run(task, *args, **kwargs):
        return worker.run(task, *args, **kwargs)

    run.mode = "worker"
    run.worker = worker
    return run


@pytest.fixture(autouse=True)
def _role_groups(db):
    """The role groups come from a data migration; a transactional test's flush removes them."""
    from django.contrib.auth.models import Group

    from grocery.permissions import Role

    for role in Role:
        Group.objects.get_or_create(name=role.value)


@pytest.fixture
def real_worker(celery_worker_process):
    """The session's worker process, with this test sending tasks to it (not in-process)."""
    celery_app.conf.task_always_eager = False
    return celery_worker_process
