"""Writing notifications: jobs publish them (idempotently, by key), people mark them read."""
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from grocery.audit import log_action
from grocery.errors import NotFound
from grocery.models.jobs import JobRun, Notification, NotificationRead
from grocery.permissions import Role

from .selectors import notifications_for


@dataclass
class NotificationDraft:
    """What a job wants to say. `key` names the finding: the same key on a rerun (the same
    site, the same day, the same month) updates the notification instead of adding one."""

    key: str
    kind: str
    title: str
    body: str = ""
    level: str = Notification.Level.INFO
    link: str = ""
    role: Role | str = ""
    site_id: int | None = None
    user_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def notifications_publish(*, drafts: list[NotificationDraft], job_run: JobRun | None = None) -> int:
    """Create or refresh the notifications of `drafts` in a constant number of queries.

    A notification whose content changed is shown as unread again (its read marks are
    dropped); one that did not change keeps its read state.
    """
    if not drafts:
        return 0
    now = timezone.now()
    keys = [d.key for d in drafts]
    existing = {n.key: n for n in Notification.objects.filter(key__in=keys)}
    to_create, to_update, changed_ids = [], [], []
    for draft in drafts:
        values = {
            "kind": draft.kind, "title": draft.title[:200], "body": draft.body, "level": str(draft.level),
            "link": draft.link, "role": str(draft.role or ""), "site_id": draft.site_id,
            "user_id": draft.user_id, "data": draft.data,
        }
        current = existing.get(draft.key)
        if current is None:
            to_create.append(Notification(key=draft.key, created_at=now, updated_at=now,
                                          job_run=job_run, **values))
            continue
        if any(getattr(current, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            current.updated_at = now
            current.job_run = job_run
            to_update.append(current)
            changed_ids.append(current.pk)
    Notification.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Notification.objects.bulk_update(
            to_update,
            ["kind", "title", "body", "level", "link", "role", "site", "user", "data", "updated_at",
             "job_run"],
            batch_size=500,
        )
        NotificationRead.objects.filter(notification_id__in=changed_ids).delete()
    return len(to_create) + len(to_update)


@transaction.atomic
def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one notification read for `user`; NotFound if it is not addressed to them."""
    notification = notifications_for(user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound("Notification introuvable.", "notification_not_found")
    _, created = NotificationRead.objects.get_or_create(
        notification=notification, user=user, defaults={"read_at": timezone.now()}
    )
    if created:
        log_action(user, "notification.read", notification)
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification addressed to `user` read; returns how many."""
    unread_ids = list(
        notifications_for(user).exclude(reads__user=user).values_list("pk", flat=True)
    )
    now = timezone.now()
    NotificationRead.objects.bulk_create(
        [NotificationRead(notification_id=pk, user=user, read_at=now) for pk in unread_ids],
        ignore_conflicts=True,
    )
    return len(unread_ids)


@transaction.atomic
def notifications_withdraw(*, keys: list[str]) -> int:
    """Remove notifications whose finding no longer holds (a rerun found nothing)."""
    if not keys:
        return 0
    return Notification.objects.filter(key__in=keys).delete()[1].get(Notification._meta.label, 0)
