"""Goal contracts with progress and the savings made at the grocery; workshops and attendance."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from beneficiaries.models import AllowanceMonth
from beneficiaries.services import (
    attendance_record,
    goal_close,
    goal_create,
    goal_progress_add,
    workshop_create,
)
from grocery.errors import DomainError
from tests.factories.beneficiaries import EntitlementFactory, HouseholdFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def entitlement(site):
    return EntitlementFactory(sites=[site])


def test_goal_progress_and_savings_through_the_api(api, ccas, entitlement):
    client = api(ccas)
    response = client.post(
        "/api/v1/goals/",
        {
            "entitlement": entitlement.pk,
            "kind": "arrear",
            "label": "EDF",
            "target_amount": "300.00",
            "target_date": "2099-12-31",
        },
    )
    assert response.status_code == 201, response.json()
    goal = response.json()
    month = entitlement.start.replace(day=1)
    AllowanceMonth.objects.create(
        household=entitlement.household,
        month=month,
        entitlement=entitlement,
        allowance=D("30"),
        spent_paid=D("12.00"),
        spent_market=D("60.00"),
    )
    response = client.post(
        f"/api/v1/goals/{goal['id']}/progress/", {"amount": "50.00", "note": "1er versement"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["progress_total"] == "50.00" and body["savings"] == "48.00"
    response = client.post(f"/api/v1/goals/{goal['id']}/progress/", {"amount": "-5"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_amount"
    response = client.post(f"/api/v1/goals/{goal['id']}/close/", {"status": "reached", "outcome": "Soldé"})
    assert response.status_code == 200 and response.json()["status"] == "reached"
    response = client.post(f"/api/v1/goals/{goal['id']}/progress/", {"amount": "5"})
    assert response.status_code == 409 and response.json()["code"] == "goal_closed"


def test_goal_refuses_absurd_input(ccas, entitlement):
    with pytest.raises(DomainError) as error:
        goal_create(
            entitlement=entitlement,
            actor=ccas,
            kind="debt",
            label="Loyer",
            target_amount="0",
            target_date=entitlement.end,
        )
    assert error.value.code == "invalid_amount"
    with pytest.raises(DomainError) as error:
        goal_create(
            entitlement=entitlement,
            actor=ccas,
            kind="debt",
            label="Loyer",
            target_amount="100",
            target_date=entitlement.start - datetime.timedelta(days=1),
        )
    assert error.value.code == "invalid_dates"
    goal = goal_create(
        entitlement=entitlement,
        actor=ccas,
        kind="debt",
        label="Loyer",
        target_amount="100",
        target_date=entitlement.end,
    )
    with pytest.raises(DomainError):
        goal_progress_add(
            goal=goal, actor=ccas, amount="10", on_date=timezone.localdate() + datetime.timedelta(1)
        )
    with pytest.raises(DomainError) as error:
        goal_close(goal=goal, actor=ccas, status="reached", outcome="")
    assert error.value.code == "required"


def test_attendance_belongs_to_the_contract_in_force(ccas, site, entitlement):
    starts = timezone.make_aware(
        datetime.datetime.combine(entitlement.start + datetime.timedelta(days=3), datetime.time(14))
    )
    workshop = workshop_create(
        actor=ccas, title="Budget du quotidien", starts_at=starts, site=site, theme="budget", capacity=1
    )
    attendance = attendance_record(workshop=workshop, household=entitlement.household, actor=ccas)
    assert attendance.entitlement == entitlement
    again = attendance_record(workshop=workshop, household=entitlement.household, actor=ccas, attended=False)
    assert again.pk == attendance.pk and not again.attended
    with pytest.raises(DomainError) as error:
        attendance_record(workshop=workshop, household=HouseholdFactory(), actor=ccas)
    assert error.value.code == "workshop_full"


def test_workshops_api_lists_with_filters(api, ccas, site):
    client = api(ccas)
    response = client.post(
        "/api/v1/workshops/",
        {
            "title": "Cuisine de saison",
            "starts_at": "2026-03-10T14:00:00Z",
            "site": site.pk,
            "theme": "cooking",
        },
    )
    assert response.status_code == 201
    assert client.get("/api/v1/workshops/?theme=cooking").json()["count"] == 1
    assert client.get("/api/v1/workshops/?theme=energy").json()["count"] == 0
    response = client.post(
        "/api/v1/workshops/", {"title": "", "starts_at": "x", "site": site.pk, "theme": "zzz"}
    )
    assert response.status_code == 400 and {"title", "starts_at", "theme"} <= set(response.json()["fields"])
