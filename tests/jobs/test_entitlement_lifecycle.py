"""The daily entitlement lifecycle: expiry of entitlements past their end, CCAS alerts about
entitlements ending soon and households that stopped coming, by notification and email."""
import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from beneficiaries.lifecycle import entitlements_expire_due, households_without_visit
from beneficiaries.models import Entitlement
from beneficiaries.tasks import entitlement_lifecycle
from grocery.models import AuditEntry, JobSettings, Notification
from grocery.permissions import Role
from tests.factories.beneficiaries import EntitlementFactory, HouseholdFactory
from tests.jobs.sales import buy

TODAY = datetime.date(2026, 11, 23)
D = Decimal


def day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


def moment(on: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(on, datetime.time(10), datetime.UTC)


def entitlement(site, *, start, end, status=Entitlement.Status.ACTIVE, name=None, **kwargs):
    household = HouseholdFactory(**({"display_name": name} if name else {}))
    return EntitlementFactory(household=household, start=start, end=end, status=status, sites=[site],
                              monthly_allowance=D("30.00"), **kwargs)


@pytest.mark.django_db
def test_entitlements_past_their_end_expire_once(site):
    ended_yesterday = entitlement(site, start=day(-90), end=day(-1))
    suspended_past = entitlement(site, start=day(-120), end=day(-30), status=Entitlement.Status.SUSPENDED)
    ends_today = entitlement(site, start=day(-89), end=day(0))
    already_ended = entitlement(site, start=day(-200), end=day(-150), status=Entitlement.Status.ENDED)

    expired = entitlements_expire_due(on_date=TODAY)

    assert sorted(expired) == sorted([ended_yesterday.pk, suspended_past.pk])
    statuses = dict(Entitlement.objects.values_list("pk", "status"))
    assert statuses[ended_yesterday.pk] == statuses[suspended_past.pk] == Entitlement.Status.EXPIRED
    assert statuses[ends_today.pk] == Entitlement.Status.ACTIVE
    assert statuses[already_ended.pk] == Entitlement.Status.ENDED
    assert AuditEntry.objects.filter(action="entitlement.expire").count() == 2
    assert entitlements_expire_due(on_date=TODAY) == []


@pytest.mark.django_db
def test_households_without_visit(site):
    never = entitlement(site, start=day(-60), end=day(30), name="Jamais venu").household
    long_ago = entitlement(site, start=day(-60), end=day(30), name="Venu il y a longtemps").household
    recent = entitlement(site, start=day(-60), end=day(30), name="Venu récemment").household
    newcomer = entitlement(site, start=day(-10), end=day(80), name="Nouveau").household
    buy(long_ago.pk, moment(day(-40)), paid="5", market="25")
    buy(recent.pk, moment(day(-5)), paid="5", market="25")

    listed = list(households_without_visit(on_date=TODAY, days=30))

    assert set(listed) == {never, long_ago}
    assert newcomer not in listed and recent not in listed


@pytest.mark.django_db(transaction=True)
def test_the_daily_run_expires_lists_and_emails_ccas_staff(run_task, site, ccas, mailoutbox):
    ccas.email = "ccas@example.org"
    ccas.save()
    entitlement(site, start=day(-90), end=day(-1), name="Foyer Échu")
    ending = entitlement(site, start=day(-80), end=day(10), name="Foyer Fin Proche")
    renewed = entitlement(site, start=day(-80), end=day(5), name="Foyer Renouvelé")
    EntitlementFactory(household=renewed.household, start=day(6), end=day(95), renewal_of=renewed,
                       sites=[site])
    entitlement(site, start=day(-60), end=day(60), name="Foyer Absent")

    result = run_task(entitlement_lifecycle, on_date=TODAY.isoformat())

    counts = result["counts"]
    assert (counts["expired"], counts["ending"], counts["no_visit"]) == (1, 1, 3)
    assert counts["emailed"] == 1
    ending_note = Notification.objects.get(kind="entitlements.ending")
    assert ending_note.role == Role.CCAS_STAFF
    assert "Foyer Fin Proche" in ending_note.body and "Foyer Renouvelé" not in ending_note.body
    assert ending_note.data == {"entitlements": [ending.pk]}
    assert Notification.objects.filter(kind="entitlements.expired").exists()
    if run_task.mode == "eager":
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == ["ccas@example.org"]
        assert "Foyer Fin Proche" in mailoutbox[0].body

    # Run again the same day: nothing more expires, the lists are updated, no second email.
    again = run_task(entitlement_lifecycle, on_date=TODAY.isoformat())
    assert again["counts"]["expired"] == 0 and again["counts"]["emailed"] == 0
    assert Notification.objects.filter(kind="entitlements.ending").count() == 1
    if run_task.mode == "eager":
        assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_alert_windows_are_settings(site):
    settings = JobSettings.get_solo()
    settings.entitlement_ending_days = 30
    settings.email_alerts = False
    settings.save()
    entitlement(site, start=day(-60), end=day(25), name="Dans 25 jours")
    result = entitlement_lifecycle.apply(kwargs={"on_date": TODAY.isoformat()}).get()
    assert result["counts"]["ending"] == 1 and result["counts"]["emailed"] == 0


@pytest.mark.django_db
def test_run_daily_jobs_command(site, capsys):
    entitlement(site, start=day(-90), end=day(-1))
    call_command("run_daily_jobs", "--only", "entitlements", "--date", TODAY.isoformat())
    assert "expired': 1" in capsys.readouterr().out
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Date invalide"):
        call_command("run_daily_jobs", "--date", "23/11/2026")
