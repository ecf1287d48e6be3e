"""Which notifications a person sees, and whether they have read them."""
from django.db.models import Exists, OuterRef, Q, QuerySet

from grocery.models.jobs import Notification, NotificationRead
from grocery.permissions import roles_of


def notifications_for(user) -> QuerySet[Notification]:
    """Notifications addressed to `user`: to them by name, or to one of their roles.

    A notification for one site goes to people of that role whose default site it is, and to
    people with no default site (who work across sites). Superusers see everything.
    """
    if not user or not user.is_authenticated:
        return Notification.objects.none()
    queryset = Notification.objects.select_related("site")
    if user.is_superuser:
        return queryset
    roles = [role.value for role in roles_of(user)]
    by_role = Q(role__in=roles, user__isnull=True)
    if user.default_site_id:
        by_role &= Q(site__isnull=True) | Q(site_id=user.default_site_id)
    return queryset.filter(Q(user=user) | by_role)


def notifications_with_read_state(user) -> QuerySet[Notification]:
    """`notifications_for(user)` annotated with `is_read` for that user (no extra query per row)."""
    return notifications_for(user).annotate(
        is_read=Exists(NotificationRead.objects.filter(notification=OuterRef("pk"), user=user))
    )


def unread_count(user) -> int:
    return notifications_with_read_state(user).filter(is_read=False).count()
