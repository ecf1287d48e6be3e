"""Lists and the commission view run a number of queries that does not grow with the rows."""

import datetime

import pytest

from beneficiaries.services import goal_create
from tests.factories.beneficiaries import (
    CardFactory,
    EntitlementFactory,
    budget_for,
    household_with_members,
    submitted_referral,
)

pytestmark = pytest.mark.django_db


def _households(count, site, partner=None):
    for index in range(count):
        household = household_with_members(
            (f"A{index}", datetime.date(1980, 1, 1), "applicant"),
            (f"B{index}", datetime.date(2015, 1, 1), "child"),
        )
        entitlement = EntitlementFactory(household=household, sites=[site])
        CardFactory(household=household)
        submitted_referral(household, partner=partner)
        EntitlementFactory(
            household=household,
            sites=[site],
            start=datetime.date(2024, 1, 1),
            end=datetime.date(2024, 3, 31),
            status="expired",
        )
        budget_for(household)
        goal_create(
            entitlement=entitlement,
            actor=None,
            kind="debt",
            label="EDF",
            target_amount="100",
            target_date=entitlement.end,
        )


ENDPOINTS = [
    ("ccas", "/api/v1/households/"),
    ("ccas", "/api/v1/referrals/"),
    ("ccas", "/api/v1/referrals/commission/"),
    ("ccas", "/api/v1/entitlements/"),
    ("ccas", "/api/v1/goals/"),
    ("partner_user", "/api/v1/referrals/"),
]


@pytest.mark.parametrize(("who", "path"), ENDPOINTS)
def test_list_queries_do_not_grow_with_rows(
    request, api, site, partner_org, who, path, django_assert_max_num_queries
):
    user = request.getfixturevalue(who)
    client = api(user)
    _households(3, site, partner=partner_org)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        response = client.get(path)
    assert response.status_code == 200 and response.json()["count"] >= 3
    _households(12, site, partner=partner_org)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(path)
    assert response.status_code == 200 and response.json()["count"] >= 15


@pytest.mark.parametrize("path", ["/api/v1/households/", "/api/v1/referrals/commission/"])
def test_the_main_lists_stay_under_a_fixed_budget(api, ccas, site, path, django_assert_max_num_queries):
    _households(20, site)
    with django_assert_max_num_queries(14):
        response = api(ccas).get(path)
    assert response.status_code == 200 and response.json()["count"] == 20
