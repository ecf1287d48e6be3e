"""Celery tasks of beneficiaries: the daily entitlement lifecycle.

Expires entitlements past their end (beneficiaries.lifecycle), then tells CCAS staff which
entitlements end soon and which households have not come for a while: a notification each
(updated by a rerun the same day) and, once a day, an email to CCAS staff who have an address.
"""
import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from grocery.jobs.runs import job
from grocery.models.jobs import JobSettings, Notification
from grocery.notifications.services import NotificationDraft, notifications_publish, notifications_withdraw
from grocery.permissions import Role

from .lifecycle import LifecycleReport, entitlement_lifecycle_run
from .services import households_anonymise_due

log = logging.getLogger("grocery.jobs")
LISTED = 15


def _listing(lines: list[str]) -> str:
    shown = lines[:LISTED]
    if len(lines) > LISTED:
        shown.append(f"… et {len(lines) - LISTED} autre(s).")
    return "\n".join(shown)


def lifecycle_drafts(report: LifecycleReport, *, ending_days: int, no_visit_days: int):
    """(drafts, keys withdrawn, email sections) for a report."""
    day = report.on_date.isoformat()
    drafts, withdrawn, sections = [], [], []

    def add(kind, level, title, lines, data):
        key = f"entitlement_lifecycle:{day}:{kind}"
        if not lines:
            withdrawn.append(key)
            return
        drafts.append(NotificationDraft(key=key, kind=f"entitlements.{kind}", level=level, title=title,
                                        body=_listing(lines), role=Role.CCAS_STAFF, data=data))
        sections.append(f"{title}\n" + "\n".join(f"  - {line}" for line in lines))

    add("expired", "info", f"{len(report.expired)} droit(s) arrivé(s) à échéance aujourd'hui",
        [f"{e.household} : droit terminé le {e.end:%d/%m/%Y}" for e in report.expired],
        {"entitlements": [e.pk for e in report.expired]})
    add("ending", "warning",
        f"{len(report.ending)} droit(s) se terminant d'ici {ending_days} jours (sans renouvellement prévu)",
        [f"{e.household} : fin le {e.end:%d/%m/%Y}" for e in report.ending],
        {"entitlements": [e.pk for e in report.ending]})
    add("no_visit", "warning",
        f"{len(report.no_visit)} foyer(s) sans passage depuis {no_visit_days} jours ou plus",
        [f"{h} : " + (f"dernier passage le {timezone.localtime(h.last_visit_at):%d/%m/%Y}"
                      if h.last_visit_at else "jamais venu")
         for h in report.no_visit],
        {"households": [h.pk for h in report.no_visit]})
    return drafts, withdrawn, sections


def _email_ccas(on_date: datetime.date, sections: list[str]) -> int:
    recipients = list(
        get_user_model().objects.filter(groups__name=Role.CCAS_STAFF.value, is_active=True)
        .exclude(email="").values_list("email", flat=True).distinct()
    )
    if not recipients or not sections:
        return 0
    body = (
        f"Bonjour,\n\nVoici le point quotidien des droits d'accès à l'épicerie au {on_date:%d/%m/%Y}.\n\n"
        + "\n\n".join(sections)
        + "\n\nCe message est envoyé automatiquement ; la même liste est dans les notifications.\n"
    )
    send_mail(f"Épicerie : suivi des droits au {on_date:%d/%m/%Y}", body, settings.DEFAULT_FROM_EMAIL,
              recipients, fail_silently=False)
    return len(recipients)


@job("beneficiaries.entitlement_lifecycle")
def entitlement_lifecycle(*, on_date: str | None = None, run):
    """Daily at 06:00: expire entitlements past their end, alert CCAS staff."""
    day = datetime.date.fromisoformat(on_date) if on_date else timezone.localdate()
    job_settings = JobSettings.get_solo()
    with transaction.atomic():
        report = entitlement_lifecycle_run(on_date=day, ending_days=job_settings.entitlement_ending_days,
                                           no_visit_days=job_settings.no_visit_days)
        drafts, withdrawn, sections = lifecycle_drafts(
            report, ending_days=job_settings.entitlement_ending_days,
            no_visit_days=job_settings.no_visit_days,
        )
        # One email a day: a rerun the same day (after a failure, or by hand) does not resend.
        already_told = Notification.objects.filter(
            key__startswith=f"entitlement_lifecycle:{day.isoformat()}:"
        ).exists()
        notifications_publish(drafts=drafts, job_run=run.run)
        notifications_withdraw(keys=withdrawn)
    run.counts.update({"expired": len(report.expired), "ending": len(report.ending),
                       "no_visit": len(report.no_visit), "emailed": 0})
    if job_settings.email_alerts and not already_told and sections:
        try:
            run.counts["emailed"] = _email_ccas(day, sections)
        except OSError:
            # The alerts are in the notifications; a mail server that is down is not a failed run.
            log.warning("entitlement lifecycle: the email could not be sent", exc_info=True)
            run.counts["email_failed"] = 1


@job("beneficiaries.anonymise_households")
def anonymise_households(*, on_date: str | None = None, run):
    """Monthly: anonymise the households whose last entitlement ended more than the retention
    period ago (BeneficiarySettings), keeping the anonymous statistics."""
    day = datetime.date.fromisoformat(on_date) if on_date else timezone.localdate()
    run.counts["anonymised"] = households_anonymise_due(today=day)
