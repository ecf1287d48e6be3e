"""Households API: create, filters and pagination, members, card reissue."""

import datetime

import pytest

from beneficiaries.models import Card, Household
from tests.factories.beneficiaries import CardFactory, EntitlementFactory, household_with_members

pytestmark = pytest.mark.django_db


def test_create_then_read_a_household(api, ccas):
    client = api(ccas)
    response = client.post(
        "/api/v1/households/",
        {
            "display_name": "Famille Caron",
            "consent": True,
            "city": "Caen",
            "members": [
                {
                    "first_name": "Luc",
                    "last_name": "Caron",
                    "birth_date": "1975-05-05",
                    "relationship": "applicant",
                },
                {
                    "first_name": "Eva",
                    "last_name": "Caron",
                    "birth_date": "1977-07-07",
                    "relationship": "partner",
                },
            ],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["household_type"] == "couple" and body["persons"] == 2 and body["consumption_units"] == "1.5"
    assert body["reference"].startswith("F-") and body["card"] is None
    again = client.post(
        "/api/v1/households/",
        {
            "display_name": "Caron",
            "consent": True,
            "members": [{"first_name": "luc", "last_name": "CARON", "birth_date": "1975-05-05"}],
        },
    )
    assert again.status_code == 409 and again.json()["code"] == "possible_duplicate"
    assert again.json()["duplicates"][0]["id"] == body["id"]
    response = client.patch(f"/api/v1/households/{body['id']}/", {"phone": "02 31 00 00 00"})
    assert response.status_code == 200 and response.json()["phone"] == "02 31 00 00 00"


def test_list_filters_and_pages(api, ccas, site):
    active = household_with_members(display_name="Famille Active")
    EntitlementFactory(household=active, sites=[site])
    for index in range(4):
        household_with_members(display_name=f"Famille Sans Droit {index}")
    client = api(ccas)
    body = client.get("/api/v1/households/?page_size=2").json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]
    body = client.get("/api/v1/households/?has_active_entitlement=true").json()
    assert [h["display_name"] for h in body["results"]] == ["Famille Active"]
    body = client.get("/api/v1/households/?q=sans droit 3").json()
    assert [h["display_name"] for h in body["results"]] == ["Famille Sans Droit 3"]
    assert client.get(f"/api/v1/entitlements/?household={active.pk}&status=active").json()["count"] == 1
    today = datetime.date.today().isoformat()
    assert client.get(f"/api/v1/entitlements/?active_on={today}&site={site.pk}").json()["count"] == 1


def test_members_are_added_changed_and_removed(api, ccas):
    household = household_with_members()
    client = api(ccas)
    response = client.post(
        f"/api/v1/households/{household.pk}/members/",
        {"first_name": "Noé", "last_name": "Martin", "birth_date": "2019-01-01", "relationship": "child"},
    )
    assert response.status_code == 201
    member_id = response.json()["id"]
    response = client.patch(f"/api/v1/members/{member_id}/", {"birth_date": "2999-01-01"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_birth_date"
    response = client.patch(f"/api/v1/members/{member_id}/", {"first_name": "Noah"})
    assert response.status_code == 200 and response.json()["first_name"] == "Noah"
    assert client.get(f"/api/v1/households/{household.pk}/").json()["household_type"] == "single_parent"
    assert client.delete(f"/api/v1/members/{member_id}/").status_code == 204
    last = household.members.get()
    response = client.delete(f"/api/v1/members/{last.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "last_member"


def test_reissuing_a_card_through_the_api(api, ccas, volunteer):
    household = household_with_members()
    old = CardFactory(household=household)
    response = api(ccas).post(f"/api/v1/households/{household.pk}/reissue-card/", {"reason": "Perdue"})
    assert response.status_code == 201
    new_number = response.json()["number"]
    assert Card.objects.get(number=new_number).is_active
    assert api(volunteer).get(f"/api/v1/cards/{old.number}/").json()["code"] == "card_replaced"
    assert api(volunteer).get(f"/api/v1/cards/{new_number}/").status_code == 200
    assert api(volunteer).post(f"/api/v1/households/{household.pk}/reissue-card/").status_code == 403


def test_anonymised_households_cannot_be_changed(api, ccas):
    household = household_with_members()
    Household.objects.filter(pk=household.pk).update(
        anonymised_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    response = api(ccas).patch(f"/api/v1/households/{household.pk}/", {"phone": "0600000000"})
    assert response.status_code == 409 and response.json()["code"] == "household_anonymised"
