"""Sending tasks without ever making the caller wait for, or fail on, the broker.

`enqueue_on_commit` sends a task once the current transaction commits (never for a rolled-back
one, and never before the rows the task reads are visible to the worker). If Redis is down the
send is logged and dropped: every job recomputes from the database, so the next scheduled run
picks up what was missed. Nothing on the sale path may wait for the broker.
"""
import logging

from django.db import transaction

log = logging.getLogger("grocery.jobs")

#: How a send may retry at most: the broker's own connect timeout (settings) bounds each try.
SEND_OPTIONS = {"retry": False}


def send_task_safely(task, args=(), kwargs=None, **options) -> bool:
    """Send now; True if the broker took it (or it ran in-process), False if it could not."""
    try:
        task.apply_async(args=list(args), kwargs=kwargs or {}, **SEND_OPTIONS, **options)
    except Exception:  # noqa: BLE001 - a broker outage, or an eager task's own failure
        log.warning("task %s could not be sent or failed; the next scheduled run will redo it",
                    task.name, exc_info=True)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """`task.delay(*args, **kwargs)` after the commit, without raising into the caller."""
    transaction.on_commit(lambda: send_task_safely(task, args, kwargs))
