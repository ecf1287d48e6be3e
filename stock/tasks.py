"""Celery tasks of stock: the daily expiry watch, one run per active site.

Each run recomputes its findings from the database (stock.expiry) and publishes them as
notifications for the site's staff; the same day's rerun updates them rather than adding more.
Nothing is wasted here: lots past their DLC are proposed, and a manager confirms on the alerts
page through the stock waste service.
"""
import datetime
import logging

from django.urls import reverse

from grocery.jobs.enqueue import send_task_safely
from grocery.jobs.runs import job
from grocery.models import Site
from grocery.notifications.services import NotificationDraft, notifications_publish, notifications_withdraw
from grocery.permissions import Role

from .expiry import ExpiryWatchReport, expiry_watch_report
from .selectors import ledger_differences

log = logging.getLogger(__name__)

#: How many items a notification names before "and N more".
LISTED = 8


def _listing(lines: list[str]) -> str:
    shown = lines[:LISTED]
    if len(lines) > LISTED:
        shown.append(f"… et {len(lines) - LISTED} autre(s).")
    return "\n".join(shown)


def _quantity(value) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def expiry_watch_drafts(report: ExpiryWatchReport) -> tuple[list[NotificationDraft], list[str]]:
    """The notifications a report gives, and the keys of this day's ones that no longer apply."""
    day = report.on_date.isoformat()
    link = f"{reverse('expiry_alerts')}?site={report.site_id}"
    drafts: list[NotificationDraft] = []
    withdrawn: list[str] = []

    def add(kind: str, role: Role, level: str, title: str, lines: list[str], data: dict) -> None:
        key = f"expiry_watch:{report.site_id}:{day}:{kind}:{role.value}"
        if not lines:
            withdrawn.append(key)
            return
        drafts.append(NotificationDraft(
            key=key, kind=f"stock.{kind}", title=title, body=_listing(lines), level=level, link=link,
            role=role, site_id=report.site_id, data=data,
        ))

    near_lines = [
        f"{item.lot.product} — lot #{item.lot.pk} ({item.lot.location}) : "
        f"{_quantity(item.lot.quantity_on_hand)}, DLC {item.lot.use_by:%d/%m} (J-{item.days_left})"
        f" → {item.suggestion_label}"
        for item in report.near_expiry
    ]
    near_data = {"lots": [item.lot.pk for item in report.near_expiry]}
    title = f"{len(near_lines)} lot(s) à DLC dans {report.warning_days} jours ou moins"
    add("near_expiry", Role.MANAGER, "warning", title, near_lines, near_data)
    add("near_expiry", Role.VOLUNTEER, "warning", title, near_lines, near_data)

    past_lines = [
        f"{lot.product} — lot #{lot.pk} ({lot.location}) : {_quantity(lot.quantity_on_hand)}, "
        f"DLC dépassée le {lot.use_by:%d/%m/%Y}"
        for lot in report.past_use_by
    ]
    add("past_use_by", Role.MANAGER, "danger",
        f"{len(past_lines)} lot(s) à DLC dépassée à retirer (casse à confirmer)", past_lines,
        {"lots": [lot.pk for lot in report.past_use_by]})

    low_lines = [
        f"{item.product} : {_quantity(item.on_hand)} en stock "
        f"(seuil {_quantity(item.product.low_stock_threshold)})"
        for item in report.low_stock
    ]
    add("low_stock", Role.MANAGER, "info", f"{len(low_lines)} produit(s) en stock bas", low_lines,
        {"products": [item.product.pk for item in report.low_stock]})

    cold_lines = [f"{location} ({location.get_kind_display()})" for location in report.cold_without_reading]
    add("missing_temperature", Role.MANAGER, "warning",
        f"{len(cold_lines)} emplacement(s) froid(s) sans relevé de température aujourd'hui", cold_lines,
        {"locations": [location.pk for location in report.cold_without_reading]})
    return drafts, withdrawn


@job("stock.expiry_watch_site")
def expiry_watch_site(*, site_id: int, on_date: str | None = None, run):
    """The expiry watch of one site (today, or `on_date` as YYYY-MM-DD)."""
    day = datetime.date.fromisoformat(on_date) if on_date else None
    report = expiry_watch_report(site_id=site_id, on_date=day)
    drafts, withdrawn = expiry_watch_drafts(report)
    notifications_publish(drafts=drafts, job_run=run.run)
    notifications_withdraw(keys=withdrawn)
    run.counts.update(report.counts())


@job("stock.expiry_watch")
def expiry_watch(*, on_date: str | None = None, run):
    """Daily: one expiry watch per active site, each its own task (and its own run log)."""
    for site_id in Site.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
        sent = send_task_safely(expiry_watch_site, kwargs={"site_id": site_id, "on_date": on_date})
        run.count("sites_dispatched" if sent else "sites_not_dispatched")


@job("stock.check_ledger")
def check_ledger(*, run):
    """Nightly: compare every lot's cached quantity with its movements. A difference is logged
    and told to managers (`manage.py check_ledger --fix` rebuilds from the ledger)."""
    differences = ledger_differences()
    run.counts["differences"] = len(differences)
    for row in differences:
        log.error("Stock ledger difference on lot %s: cached %s, ledger %s",
                  row["lot"], row["cached"], row["ledger"])
    key = "check_ledger:differences"
    if not differences:
        notifications_withdraw(keys=[key])
        return
    lines = [f"lot #{row['lot']} : {row['cached']} en cache, {row['ledger']} selon les mouvements"
             for row in differences]
    notifications_publish(drafts=[NotificationDraft(
        key=key, kind="stock.ledger_difference", level="danger", role=Role.MANAGER,
        title=f"{len(differences)} écart(s) entre le stock et le journal des mouvements",
        body=_listing(lines), data={"lots": [row["lot"] for row in differences]},
    )], job_run=run.run)
