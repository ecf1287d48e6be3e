"""Pages of the background jobs: notifications (list, mark read, the home page block), the
monthly statements with overruns and non-take-up, and the log of job runs."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from grocery.errors import DomainError
from grocery.notifications import selectors as notification_selectors
from grocery.notifications import services as notification_services
from grocery.permissions import has_capability, requires


@requires("notifications.view")
def notification_list(request):
    queryset = notification_selectors.notifications_with_read_state(request.user)
    show = request.GET.get("afficher", "non-lues")
    if show != "toutes":
        queryset = queryset.filter(is_read=False)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(request, "frontend/jobs/notification_list.html", {
        "page": page, "show": show,
        "unread": notification_selectors.unread_count(request.user),
    })


def _back(request):
    target = request.POST.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else "notification_list")


@requires("notifications.view")
@require_POST
def notification_read(request, notification_id: int):
    try:
        notification_services.notification_mark_read(user=request.user, notification_id=notification_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(request)


@requires("notifications.view")
@require_POST
def notification_read_all(request):
    marked = notification_services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"{marked} notification(s) marquée(s) comme lue(s).")
    return _back(request)


def home_notifications_block(request):
    """Home page block: the five latest unread notifications of the signed-in person."""
    if not has_capability(request.user, "notifications.view"):
        return None
    unread = notification_selectors.notifications_with_read_state(request.user).filter(is_read=False)
    latest = list(unread[:5])
    return {
        "title": "Notifications",
        "template": "frontend/jobs/home_notifications.html",
        "notifications": latest,
        "unread_count": unread.count() if len(latest) == 5 else len(latest),
    }
