"""Housekeeping job, run both in-process and by a real worker process."""
from datetime import timedelta

import pytest
from django.utils import timezone

from grocery.models.jobs import JobRun, Notification, NotificationRead
from grocery.tasks import prune_job_history
from tests.factories.jobs import NotificationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_old_runs_and_stale_notifications_are_pruned(run_task, manager):
    long_ago = timezone.now() - timedelta(days=500)
    old_run = JobRun.objects.create(task="grocery.close_month", started_at=long_ago, status="succeeded")
    recent_run = JobRun.objects.create(task="grocery.close_month", started_at=timezone.now(),
                                       status="succeeded")
    stale_read = NotificationFactory(updated_at=long_ago)
    NotificationRead.objects.create(notification=stale_read, user=manager, read_at=long_ago)
    stale_personal_unread = NotificationFactory(role="", user=manager, updated_at=long_ago)
    fresh = NotificationFactory()

    result = run_task(prune_job_history)

    assert result["status"] == "succeeded"
    assert result["counts"] == {"job_runs_deleted": 1, "notifications_deleted": 1}
    assert not JobRun.objects.filter(pk=old_run.pk).exists()
    assert JobRun.objects.filter(pk=recent_run.pk).exists()
    assert set(Notification.objects.values_list("pk", flat=True)) == {stale_personal_unread.pk, fresh.pk}
    # The run itself is logged, by the worker when there is one.
    logged = JobRun.objects.get(task="grocery.prune_job_history")
    assert logged.status == JobRun.Status.SUCCEEDED
    assert (logged.celery_task_id != "") is True
