"""Periodic jobs and the demo data."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from beneficiaries import tasks
from beneficiaries.models import Card, Entitlement, Household, Referral
from tests.factories.beneficiaries import EntitlementFactory, household_with_members

pytestmark = pytest.mark.django_db


def test_expiry_runs_in_the_daily_lifecycle_task(site):
    EntitlementFactory(start=datetime.date(2024, 1, 1), end=datetime.date(2024, 3, 31), sites=[site])
    assert tasks.entitlement_lifecycle.delay().get()["counts"]["expired"] == 1
    assert Entitlement.objects.get().status == "expired"


def test_anonymise_task_only_touches_households_past_the_period(site):
    old = household_with_members()
    Household.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=1200))
    EntitlementFactory(
        household=old,
        start=datetime.date(2022, 1, 1),
        end=datetime.date(2022, 3, 31),
        status="expired",
        sites=[site],
    )
    recent = household_with_members()
    EntitlementFactory(
        household=recent,
        start=datetime.date(2024, 1, 1),
        end=timezone.localdate() - datetime.timedelta(days=30),
        status="expired",
        sites=[site],
    )
    assert tasks.anonymise_households.delay().get()["counts"]["anonymised"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.anonymised_at is not None and recent.anonymised_at is None


def test_demo_has_referrals_in_every_state_and_cards(capsys):
    call_command("seed_demo")
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == set(Referral.Status.values)
    assert Household.objects.filter(reference__startswith="F-DEMO-").count() == 40
    active = Entitlement.objects.filter(status="active").values_list("household_id", flat=True)
    assert len(active) >= 20
    assert Card.objects.filter(household_id__in=active, is_active=True).count() == len(set(active))
