"""Keeping the job records small: old run logs and old read notifications are deleted."""
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from grocery.models.jobs import JobRun, Notification, NotificationRead

#: Run logs are kept this long (a year of monthly closes stays visible).
JOB_RUN_RETENTION_DAYS = 400
#: Notifications that nobody has touched for this long are dropped, read or not.
NOTIFICATION_RETENTION_DAYS = 90


@transaction.atomic
def job_history_prune(*, now=None) -> dict[str, int]:
    """Delete run logs older than the retention and stale notifications; returns the counts."""
    now = now or timezone.now()
    runs, _ = JobRun.objects.filter(
        started_at__lt=now - timedelta(days=JOB_RUN_RETENTION_DAYS)
    ).exclude(status=JobRun.Status.RUNNING).delete()
    stale = Notification.objects.filter(updated_at__lt=now - timedelta(days=NOTIFICATION_RETENTION_DAYS))
    # Keep a stale notification nobody has read yet only if it is addressed to one person.
    stale = stale.filter(Exists(NotificationRead.objects.filter(notification=OuterRef("pk")))) | stale.filter(
        user__isnull=True
    )
    notifications = Notification.objects.filter(pk__in=stale.values("pk")).delete()[1].get(
        Notification._meta.label, 0
    )
    return {"job_runs_deleted": runs, "notifications_deleted": notifications}
