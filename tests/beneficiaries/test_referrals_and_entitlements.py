"""Referral state machine and the entitlement rules: overrides, waiting gap, total duration,
renewals, suspension and early end."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from beneficiaries.models import BeneficiarySettings, Entitlement, Referral
from beneficiaries.selectors import entitlement_active_on
from beneficiaries.services import (
    entitlement_end,
    entitlement_renew,
    entitlement_resume,
    entitlement_suspend,
    entitlements_expire,
    referral_approve,
    referral_create,
    referral_refuse,
    referral_submit,
    referral_withdraw,
)
from grocery.errors import DomainError
from tests.factories.beneficiaries import EntitlementFactory, household_with_members, submitted_referral

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_draft_needs_a_budget_to_be_submitted(ccas):
    household = household_with_members()
    referral = referral_create(actor=ccas, household=household, situation="s", reason="r")
    with pytest.raises(DomainError) as error:
        referral_submit(referral=referral, actor=ccas)
    assert error.value.code == "budget_required"


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("draft", "approve"),
        ("draft", "refuse"),
        ("refused", "approve"),
        ("approved", "withdraw"),
        ("withdrawn", "submit"),
        ("submitted", "submit"),
        ("refused", "refuse"),
    ],
)
def test_impossible_transitions_are_conflicts(ccas, site, status, action):
    referral = submitted_referral()
    Referral.objects.filter(pk=referral.pk).update(status=status)
    calls = {
        "approve": lambda: referral_approve(referral=referral, actor=ccas, sites=[site]),
        "refuse": lambda: referral_refuse(referral=referral, actor=ccas, reason="non"),
        "withdraw": lambda: referral_withdraw(referral=referral, actor=ccas),
        "submit": lambda: referral_submit(referral=referral, actor=ccas),
    }
    with pytest.raises(DomainError) as error:
        calls[action]()
    assert error.value.code == "invalid_transition" and error.value.status == 409
    referral.refresh_from_db()
    assert referral.status == status and not Entitlement.objects.exists()


def test_refusing_needs_a_reason_and_records_who_and_when(ccas):
    referral = submitted_referral()
    with pytest.raises(DomainError) as error:
        referral_refuse(referral=referral, actor=ccas, reason="  ")
    assert error.value.code == "required" and "reason" in error.value.fields
    referral_refuse(referral=referral, actor=ccas, reason="Ressources au-dessus du seuil")
    referral.refresh_from_db()
    assert referral.status == "refused" and referral.decided_by == ccas and referral.decided_at


def test_approval_follows_the_scale_and_settings(ccas, site):
    referral = submitted_referral(
        household_with_members(
            ("A", datetime.date(1980, 1, 1), "applicant"),
            ("B", datetime.date(1981, 1, 1), "partner"),
            ("C", datetime.date(2012, 1, 1), "child"),
        )
    )
    entitlement = referral_approve(
        referral=referral, actor=ccas, sites=[site], start=datetime.date(2026, 3, 1)
    )
    assert entitlement.monthly_allowance == D("35.00")  # 30 € for two adults + 5 € for one child
    assert entitlement.end == datetime.date(2026, 5, 31) and entitlement.referral == referral
    assert entitlement.household.cards.filter(is_active=True).count() == 1


def test_a_new_entry_waits_for_the_gap_unless_overridden(ccas, site):
    household = household_with_members()
    EntitlementFactory(
        household=household,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 3, 31),
        status="expired",
        sites=[site],
    )
    referral = submitted_referral(household)
    with pytest.raises(DomainError) as error:
        referral_approve(referral=referral, actor=ccas, sites=[site], start=datetime.date(2026, 5, 1))
    assert error.value.code == "waiting_gap" and error.value.extra["overridable"] is True
    entitlement = referral_approve(
        referral=referral,
        actor=ccas,
        sites=[site],
        start=datetime.date(2026, 5, 1),
        override_reason="Perte d'emploi",
    )
    assert entitlement.override_reason == "Perte d'emploi"
    assert referral_approve  # the gap is respected without a reason after 3 months:
    other = household_with_members(("Z", datetime.date(1970, 1, 1), "applicant"))
    EntitlementFactory(
        household=other,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 3, 31),
        status="expired",
        sites=[site],
    )
    referral_approve(
        referral=submitted_referral(other), actor=ccas, sites=[site], start=datetime.date(2026, 7, 1)
    )


def test_total_duration_is_capped(ccas, site):
    settings = BeneficiarySettings.get_solo()
    settings.max_renewals = 10
    settings.save()
    from beneficiaries.dates import add_months, period_end

    first_day = timezone.localdate().replace(day=1)
    start = add_months(first_day, -20)
    entitlement = EntitlementFactory(start=start, end=period_end(start, 21), sites=[site])  # 21 months
    with pytest.raises(DomainError) as error:
        entitlement_renew(entitlement=entitlement, actor=ccas, months=6)
    assert error.value.code == "max_duration_reached"
    renewal = entitlement_renew(entitlement=entitlement, actor=ccas, months=3)
    assert renewal.end == period_end(start, 24)


def test_a_renewal_is_made_once(ccas, site):
    entitlement = EntitlementFactory(sites=[site])
    entitlement_renew(entitlement=entitlement, actor=ccas)
    with pytest.raises(DomainError) as error:
        entitlement_renew(entitlement=entitlement, actor=ccas, override_reason="x")
    assert error.value.code == "already_renewed"


def test_a_second_renewal_can_be_overridden_with_a_reason(ccas, site):
    first = EntitlementFactory(sites=[site])
    second = entitlement_renew(entitlement=first, actor=ccas)
    third = entitlement_renew(entitlement=second, actor=ccas, override_reason="Projet presque abouti")
    assert third.renewal_number == 2 and third.override_reason == "Projet presque abouti"


def test_suspension_resumption_and_early_end(ccas, site):
    entitlement = EntitlementFactory(sites=[site])
    today = timezone.localdate()
    with pytest.raises(DomainError) as error:
        entitlement_suspend(entitlement=entitlement, actor=ccas, reason="")
    assert error.value.code == "required"
    entitlement_suspend(entitlement=entitlement, actor=ccas, reason="Absence prolongée")
    assert entitlement_active_on(household_id=entitlement.household_id, on_date=today) is None
    with pytest.raises(DomainError) as error:
        entitlement_suspend(entitlement=entitlement, actor=ccas, reason="encore")
    assert error.value.code == "invalid_transition"
    entitlement_resume(entitlement=entitlement, actor=ccas)
    ended = entitlement_end(entitlement=entitlement, actor=ccas, reason="Déménagement", on_date=today)
    assert ended.status == "ended" and ended.end == today and ended.status_changed_by == ccas
    with pytest.raises(DomainError) as error:
        entitlement_renew(entitlement=ended, actor=ccas)
    assert error.value.code == "invalid_transition"


def test_expiry_marks_past_entitlements(site):
    old = EntitlementFactory(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 3, 31), sites=[site])
    current = EntitlementFactory(sites=[site])
    assert entitlements_expire() == 1
    old.refresh_from_db()
    current.refresh_from_db()
    assert old.status == "expired" and current.status == "active"


def test_api_actions_on_entitlements(api, ccas, site):
    entitlement = EntitlementFactory(sites=[site])
    client = api(ccas)
    response = client.post(f"/api/v1/entitlements/{entitlement.pk}/suspend/", {"reason": "Absence"})
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    response = client.post(
        f"/api/v1/entitlements/{entitlement.pk}/end/", {"reason": "Fin", "on_date": "2001-01-01"}
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_dates"
    assert "on_date" in response.json()["fields"]
    response = client.post(f"/api/v1/entitlements/{entitlement.pk}/end/", {"reason": "Fin"})
    assert response.status_code == 200 and response.json()["status"] == "ended"
    response = client.post(f"/api/v1/entitlements/{entitlement.pk}/end/", {"reason": "Fin"})
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


def test_a_renewal_long_after_the_end_is_a_new_entry(ccas, site):
    today = timezone.localdate()
    recent = EntitlementFactory(
        start=today - datetime.timedelta(days=100),
        end=today - datetime.timedelta(days=10),
        status="expired",
        sites=[site],
    )
    assert entitlement_renew(entitlement=recent, actor=ccas).start == today - datetime.timedelta(days=9)
    old = EntitlementFactory(
        start=today - datetime.timedelta(days=200),
        end=today - datetime.timedelta(days=110),
        status="expired",
        sites=[site],
    )
    with pytest.raises(DomainError) as error:
        entitlement_renew(entitlement=old, actor=ccas)
    assert error.value.code == "renewal_too_late"
