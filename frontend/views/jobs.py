"""Pages of the background jobs: notifications (list, mark read, the home page block), the
monthly statements with overruns and non-take-up, and the log of job runs."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
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


def _chosen_site(request):
    """The site asked for (?site=), else the person's default site, else the first active one."""
    from grocery.models import Site

    sites = list(Site.objects.filter(is_active=True).order_by("name"))
    wanted = request.GET.get("site") or request.POST.get("site") or request.user.default_site_id
    chosen = next((s for s in sites if str(s.pk) == str(wanted)), sites[0] if sites else None)
    return sites, chosen


@requires("stock.view")
def expiry_alerts(request):
    """The expiry watch of one site, live: near-DLC lots with a suggestion, past-DLC lots to
    waste (a manager confirms), low stock, cold locations without today's reading."""
    from stock.expiry import expiry_watch_report

    sites, site = _chosen_site(request)
    report = expiry_watch_report(site_id=site.pk) if site else None
    return render(request, "frontend/jobs/expiry_alerts.html", {
        "sites": sites, "site": site, "report": report,
        "can_waste": has_capability(request.user, "stock.manage"),
    })


@requires("stock.manage")
@require_POST
def expiry_waste_confirm(request):
    """A manager confirms the waste of a lot past its DLC (through the stock ledger)."""
    from stock.expiry import expired_lot_waste

    site = request.POST.get("site", "")
    try:
        movement = expired_lot_waste(lot_id=int(request.POST.get("lot", "0") or 0), actor=request.user)
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "Lot invalide."))
    else:
        if movement is None:
            messages.warning(request, "Ce lot n'a plus de stock : rien à sortir.")
        else:
            messages.success(request, f"Casse enregistrée : {-movement.quantity:f} retiré(s) du stock.")
    return redirect(f"{reverse('expiry_alerts')}?site={site}" if site.isdigit() else reverse("expiry_alerts"))


@requires("reports.view")
def statement_list(request):
    """Monthly statements of a closed month, with the lists CCAS staff follow: overruns,
    households who never came (non-recours), statements corrected after the close."""
    from grocery.jobs import selectors as statement_selectors
    from grocery.jobs.monthly import parse_month

    months = statement_selectors.closed_months()
    month = months[0].month if months else None
    if request.GET.get("mois"):
        try:
            month = parse_month(request.GET["mois"])
        except ValueError as exc:
            messages.error(request, str(exc))
    kind = request.GET.get("liste", "tous")
    if kind not in statement_selectors.LISTS:
        kind = "tous"
    page = None
    summary = None
    if month is not None:
        page = Paginator(statement_selectors.statements(month=month, kind=kind), 100).get_page(
            request.GET.get("page")
        )
        summary = statement_selectors.month_summary(month)
    closing = next((m for m in months if m.month == month), None)
    return render(request, "frontend/jobs/statement_list.html", {
        "months": months, "month": month, "kind": kind, "page": page, "summary": summary,
        "closing": closing,
        "lists": [("tous", "Tous les foyers"), ("depassements", "Dépassements"),
                  ("non-recours", "Aucun passage (non-recours)"), ("corriges", "Corrigés après clôture")],
    })


@requires("reports.view")
def statement_detail(request, statement_id: int):
    from django.http import Http404

    from grocery.models.statements import MonthlyStatement

    statement = (
        MonthlyStatement.objects.select_related("household", "entitlement")
        .prefetch_related("corrections").filter(pk=statement_id).first()
    )
    if statement is None:
        raise Http404("Bilan introuvable.")
    return render(request, "frontend/jobs/statement_detail.html", {"statement": statement})
