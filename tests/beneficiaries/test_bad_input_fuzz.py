"""Junk sent to every write endpoint of beneficiaries gets a coded 4xx, never a 500."""

import datetime

import pytest

from beneficiaries.services import goal_create, workshop_create
from tests.factories.beneficiaries import (
    CardFactory,
    EntitlementFactory,
    household_with_members,
    submitted_referral,
)
from tests.route_walker import all_routes

pytestmark = pytest.mark.django_db

PREFIXES = (
    "/api/v1/households/",
    "/api/v1/members/",
    "/api/v1/referrals/",
    "/api/v1/entitlements/",
    "/api/v1/goals/",
    "/api/v1/workshops/",
    "/api/v1/cards/",
)
JUNK = [
    [],
    "x",
    12,
    {"sites": "x", "members": "x", "incomes": [1], "start": "hier", "amount": "1e999"},
    {"household": "abc", "new_household": [], "situation": None, "reason": {"a": 1}},
    {
        "reason": "",
        "on_date": "31/02/2026",
        "months": -1,
        "monthly_allowance": "NaN",
        "participation_rate": "2",
    },
]


def test_no_junk_reaches_a_500(api, manager, site):
    household = household_with_members()
    entitlement = EntitlementFactory(household=household, sites=[site])
    CardFactory(household=household)
    referral = submitted_referral()
    goal = goal_create(
        entitlement=entitlement,
        actor=None,
        kind="debt",
        label="EDF",
        target_amount="100",
        target_date=entitlement.end,
    )
    workshop = workshop_create(
        actor=None,
        title="Atelier",
        site=site,
        theme="budget",
        starts_at=datetime.datetime(2026, 3, 1, 14, tzinfo=datetime.UTC),
    )
    ids = {
        "households": household.pk,
        "members": household.members.first().pk,
        "referrals": referral.pk,
        "entitlements": entitlement.pk,
        "goals": goal.pk,
        "workshops": workshop.pk,
    }
    client = api(manager)
    problems = []
    for route in all_routes():
        if (
            not route.is_api
            or not route.path.startswith(PREFIXES)
            or route.method not in ("post", "put", "patch", "delete")
        ):
            continue
        kind = route.path.split("/")[3]
        path = route.path.replace("999999", str(ids.get(kind, 999999)))
        for body in JUNK:
            # The test client re-raises a view's exception, so a 500 would fail here too.
            response = getattr(client, route.method)(path, body, format="json")
            if response.status_code >= 500:
                problems.append(f"{route.method.upper()} {path} {body!r} -> {response.status_code}")
            elif response.status_code >= 400:
                assert "code" in response.json(), (path, body)
    assert problems == []


def test_no_junk_form_reaches_a_500(page, manager, site):
    from django.urls import reverse

    household = household_with_members()
    entitlement = EntitlementFactory(household=household, sites=[site])
    referral = submitted_referral()
    goal = goal_create(
        entitlement=entitlement,
        actor=None,
        kind="debt",
        label="EDF",
        target_amount="100",
        target_date=entitlement.end,
    )
    workshop = workshop_create(
        actor=None,
        title="Atelier",
        site=site,
        theme="budget",
        starts_at=datetime.datetime(2026, 3, 1, 14, tzinfo=datetime.UTC),
    )
    urls = [
        reverse("household_create"),
        reverse("household_edit", args=[household.pk]),
        reverse("budget_edit", args=[household.pk]),
        reverse("referral_create"),
        reverse("referral_create") + f"?household={household.pk}",
        reverse("referral_decide", args=[referral.pk]),
        reverse("goal_create", args=[entitlement.pk]),
        reverse("goal_progress", args=[goal.pk]),
        reverse("workshop_list"),
        reverse("workshop_detail", args=[workshop.pk]),
        reverse("card_reissue", args=[household.pk]),
        *[
            reverse("entitlement_action", args=[entitlement.pk, a])
            for a in ("renew", "suspend", "end", "resume")
        ],
        *[reverse("referral_action", args=[referral.pk, a]) for a in ("submit", "withdraw")],
    ]
    junk = [
        {},
        {
            "part": "member",
            "new-birth_date": "32/13/2020",
            "decision": "approve",
            "sites": "x",
            "months": "-4",
            "monthly_allowance": "abc",
            "participation_rate": "9",
            "on_date": "x",
            "amount": "1e400",
            "target_amount": "-1",
            "m-TOTAL_FORMS": "x",
            "b-income_rsa": "-5",
            "household": "<script>",
            "starts_at": "demain",
            "capacity": "0",
        },
        {
            "part": "household",
            "decision": "refuse",
            "reason": "",
            "m-TOTAL_FORMS": "2000",
            "m-INITIAL_FORMS": "0",
        },
    ]
    client = page(manager)
    for url in urls:
        for data in junk:
            assert client.post(url, data).status_code < 500, (url, data)
