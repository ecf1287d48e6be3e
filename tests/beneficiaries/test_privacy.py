"""Each role sees exactly what the beneficiaries issue says: volunteers only the card lookup,
partners only their organisation's referrals (read-only once submitted) and never budgets,
budgets only for CCAS staff and managers, every budget view logged."""

import pytest

from beneficiaries.models import BudgetAccess, Referral
from tests.factories.beneficiaries import (
    CardFactory,
    EntitlementFactory,
    budget_for,
    household_with_members,
    submitted_referral,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def household():
    household = household_with_members()
    budget_for(household)
    return household


def test_volunteers_see_only_the_card_lookup(api, volunteer, household, site):
    EntitlementFactory(household=household, sites=[site])
    card = CardFactory(household=household)
    client = api(volunteer)
    for path in (
        "/api/v1/households/",
        f"/api/v1/households/{household.pk}/",
        f"/api/v1/households/{household.pk}/budget/",
        "/api/v1/referrals/",
        "/api/v1/entitlements/",
        "/api/v1/goals/",
        "/api/v1/referrals/commission/",
        f"/api/v1/households/{household.pk}/export/",
    ):
        assert client.get(path).status_code == 403, path
    lookup = client.get(f"/api/v1/cards/{card.number}/").json()
    text = str(lookup)
    assert "1200" not in text and "income" not in text and "notes" not in text
    assert not BudgetAccess.objects.exists()


def test_partners_see_only_their_organisation_referrals(api, partner_user, other_partner_user, household):
    mine = submitted_referral(household, partner=partner_user.partner, actor=partner_user)
    theirs = submitted_referral(
        household_with_members(("Lou", __import__("datetime").date(1990, 1, 1), "applicant")),
        partner=other_partner_user.partner,
        actor=other_partner_user,
    )
    staff_made = submitted_referral()
    client = api(partner_user)
    listed = [r["id"] for r in client.get("/api/v1/referrals/").json()["results"]]
    assert listed == [mine.pk]
    assert client.get(f"/api/v1/referrals/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/referrals/{staff_made.pk}/").status_code == 404
    assert client.post(f"/api/v1/referrals/{theirs.pk}/withdraw/").status_code == 404
    detail = client.get(f"/api/v1/referrals/{mine.pk}/").json()
    assert "budget" not in detail and detail["household"]["id"] == household.pk
    assert client.get(f"/api/v1/households/{household.pk}/").status_code == 403
    assert client.get(f"/api/v1/households/{household.pk}/budget/").status_code == 403
    assert client.post(f"/api/v1/referrals/{mine.pk}/approve/", {"sites": []}).status_code == 403
    assert not BudgetAccess.objects.exists()


def test_partners_can_refer_again_only_households_behind_their_referrals(api, partner_user, household):
    client = api(partner_user)
    body = {"household": household.pk, "situation": "s", "reason": "r"}
    response = client.post("/api/v1/referrals/", body)
    assert response.status_code == 404
    submitted_referral(household, partner=partner_user.partner, actor=partner_user)
    response = client.post("/api/v1/referrals/", body)
    assert response.status_code == 201 and response.json()["partner"] == partner_user.partner_id


def test_a_partner_registering_a_known_person_is_linked_not_duplicated(api, partner_user, household):
    member = household.members.get()
    response = api(partner_user).post(
        "/api/v1/referrals/",
        {
            "new_household": {
                "display_name": "Foyer Martin",
                "consent": True,
                "members": [
                    {
                        "first_name": member.first_name.upper(),
                        "last_name": "MARTÍN",
                        "birth_date": member.birth_date.isoformat(),
                    }
                ],
            },
            "situation": "s",
            "reason": "r",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["household"]["id"] == household.pk
    assert response.json()["linked_to_existing_household"] is True
    assert Referral.objects.get(pk=response.json()["id"]).household == household


def test_staff_see_budgets_and_each_view_is_logged(api, ccas, manager, household):
    response = api(ccas).get(f"/api/v1/households/{household.pk}/budget/")
    assert response.status_code == 200
    assert response.json()["summary"]["reste_a_vivre"] == "10.00"  # (1200 − 900) ÷ 1 ÷ 30
    api(manager).get(f"/api/v1/households/{household.pk}/budget/")
    log = list(BudgetAccess.objects.order_by("id").values_list("user__username", "household_id", "context"))
    assert log == [("ccas", household.pk, "api"), ("responsable", household.pk, "api")]


def test_household_notes_are_shown_only_with_the_budget_capability(api, ccas, household):
    household.notes = "Dette de loyer"
    household.save()
    assert api(ccas).get(f"/api/v1/households/{household.pk}/").json()["notes"] == "Dette de loyer"


def test_only_managers_export_and_anonymise(api, ccas, manager, household):
    assert api(ccas).get(f"/api/v1/households/{household.pk}/export/").status_code == 403
    assert api(ccas).post(f"/api/v1/households/{household.pk}/anonymise/").status_code == 403
    assert api(manager).get(f"/api/v1/households/{household.pk}/export/").status_code == 200


def test_anonymisation_refused_while_an_entitlement_is_in_force(api, manager, household, site):
    EntitlementFactory(household=household, sites=[site])
    response = api(manager).post(f"/api/v1/households/{household.pk}/anonymise/")
    assert response.status_code == 409 and response.json()["code"] == "anonymise_too_early"
