"""Further behaviour: the counter's lookup extension point, API errors for card numbers, the
consumption-unit divisor in the commission, partners editing their drafts, and two staff
members approving the same referral at once."""

import threading
from decimal import Decimal

import pytest
from django.db import connections

from beneficiaries import selectors
from beneficiaries.models import BeneficiarySettings, Entitlement, Referral
from beneficiaries.services import referral_approve
from grocery.errors import DomainError
from tests.factories.beneficiaries import (
    CardFactory,
    EntitlementFactory,
    budget_for,
    household_with_members,
    submitted_referral,
)


@pytest.mark.django_db
def test_card_lookup_extensions_fill_the_limits(api, volunteer, site, monkeypatch):
    household = household_with_members()
    EntitlementFactory(household=household, sites=[site])
    card = CardFactory(household=household)

    def limits(card_, payload):
        payload["limits"].append({"product": 1, "name": "Huile", "remaining": "2"})

    monkeypatch.setattr(selectors, "CARD_LOOKUP_EXTENSIONS", [limits])
    response = api(volunteer).get(f"/api/v1/cards/{card.number}/")
    assert response.json()["limits"] == [{"product": 1, "name": "Huile", "remaining": "2"}]


@pytest.mark.django_db
def test_card_lookup_errors_are_coded(api, volunteer):
    card = CardFactory()
    wrong = card.number[:-1] + str((int(card.number[-1]) + 3) % 10)
    response = api(volunteer).get(f"/api/v1/cards/{wrong}/")
    assert response.status_code == 400 and response.json()["code"] == "invalid_card_number"
    assert "number" in response.json()["fields"]
    card.delete()
    response = api(volunteer).get(f"/api/v1/cards/{card.number}/")
    assert response.status_code == 404 and response.json()["code"] == "unknown_card"


@pytest.mark.django_db
def test_card_lookup_without_entitlement_shows_nothing_to_spend(api, volunteer):
    card = CardFactory()
    body = api(volunteer).get(f"/api/v1/cards/{card.number}/").json()
    assert body["entitlement"] is None and body["allowance"]["remaining"] == "0.00"


@pytest.mark.django_db
def test_card_lookup_of_a_suspended_entitlement_shows_it_with_nothing_to_spend(api, volunteer, site):
    household = household_with_members()
    EntitlementFactory(household=household, sites=[site], status="suspended")
    card = CardFactory(household=household)
    body = api(volunteer).get(f"/api/v1/cards/{card.number}/").json()
    assert body["entitlement"]["status"] == "suspended" and body["allowance"]["remaining"] == "0.00"


@pytest.mark.django_db
def test_commission_uses_the_consumption_unit_divisor_when_set(api, ccas):
    import datetime

    settings = BeneficiarySettings.get_solo()
    settings.rav_divisor = "consumption_units"
    settings.save()
    household = household_with_members(
        ("A", datetime.date(1980, 1, 1), "applicant"), ("B", datetime.date(2016, 1, 1), "child")
    )
    referral = submitted_referral(household)
    referral.budget = budget_for(household, income="1200.00", expenses="810.00")
    referral.save()
    row = api(ccas).get("/api/v1/referrals/commission/").json()["results"][0]
    # 1 + 0.3 = 1.3 UC; (1200 − 810) ÷ 1.3 ÷ 30 = 10.00
    assert row["budget"]["reste_a_vivre"] == "10.00" and row["budget"]["divisor_value"] == "1.3"
    assert row["budget"]["below_threshold"] is False


@pytest.mark.django_db
def test_a_partner_edits_its_draft_until_it_is_submitted(api, partner_user):
    referral = submitted_referral(partner=partner_user.partner, actor=partner_user)
    Referral.objects.filter(pk=referral.pk).update(status="draft")
    client = api(partner_user)
    response = client.patch(
        f"/api/v1/referrals/{referral.pk}/", {"situation": "Précisions", "requested_months": 2}
    )
    assert response.status_code == 200 and response.json()["situation"] == "Précisions"
    client.post(f"/api/v1/referrals/{referral.pk}/submit/")
    response = client.patch(f"/api/v1/referrals/{referral.pk}/", {"situation": "Encore"})
    assert response.status_code == 409 and response.json()["code"] == "referral_read_only"
    response = client.post(f"/api/v1/referrals/{referral.pk}/withdraw/", {"reason": "Erreur"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


@pytest.mark.django_db
def test_budget_api_refuses_negative_amounts_naming_the_field(api, ccas):
    household = household_with_members()
    response = api(ccas).post(
        f"/api/v1/households/{household.pk}/budget/",
        {"incomes": [{"category": "rsa", "monthly_amount": "-3"}]},
    )
    assert response.status_code == 400 and "incomes" in response.json()["fields"]
    assert not household.budgets.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_the_same_referral_open_one_entitlement(site):
    referral = submitted_referral()
    barrier = threading.Barrier(2)
    outcomes = []

    def approve():
        try:
            barrier.wait()
            referral_approve(referral=referral, actor=None, sites=[site])
            outcomes.append("approved")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "invalid_transition"]
    assert Entitlement.objects.count() == 1
    assert Entitlement.objects.get().monthly_allowance == Decimal("20.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_budget_updates_get_consecutive_versions():
    household = household_with_members()
    barrier = threading.Barrier(4)
    errors = []

    def record():
        try:
            barrier.wait()
            budget_for(household)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(household.budgets.values_list("number", flat=True)) == [1, 2, 3, 4]
