"""The admin pages of beneficiaries open for a superuser (settings singleton included)."""

import pytest
from django.urls import reverse

from beneficiaries.models import BeneficiarySettings
from beneficiaries.services import referral_open
from grocery.errors import DomainError
from tests.factories.beneficiaries import (
    CardFactory,
    EntitlementFactory,
    household_with_members,
    submitted_referral,
)
from tests.factories.core import UserFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "beneficiarysettings",
    "household",
    "entitlement",
    "card",
    "allowancemonth",
    "budgetversion",
    "budgetaccess",
    "referral",
    "goal",
    "workshop",
]


def test_admin_pages_open(page, site):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    household = household_with_members()
    EntitlementFactory(household=household, sites=[site])
    CardFactory(household=household)
    submitted_referral(household)
    BeneficiarySettings.get_solo()
    client = page(admin)
    for model in MODELS:
        assert client.get(reverse(f"admin:beneficiaries_{model}_changelist")).status_code == 200, model
    assert client.get(reverse("admin:beneficiaries_beneficiarysettings_change", args=[1])).status_code == 200
    assert client.get(reverse("admin:beneficiaries_household_change", args=[household.pk])).status_code == 200


def test_the_service_itself_keeps_partners_to_their_households(partner_user):
    household = household_with_members()
    with pytest.raises(DomainError) as error:
        referral_open(actor=partner_user, household=household, situation="s", reason="r")
    assert error.value.code == "not_found"
