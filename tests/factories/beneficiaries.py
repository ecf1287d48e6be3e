import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from beneficiaries.models import Card, Entitlement, Household, Member
from tests.factories.core import SiteFactory


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    reference = factory.Sequence(lambda n: f"F-TEST-{n:05d}")
    display_name = factory.Sequence(lambda n: f"Foyer Martin {n}")
    city = "Caen"
    postcode = "14000"
    consent_at = factory.LazyFunction(timezone.now)
    consent_text_version = "2026-01"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory)
    first_name = "Camille"
    last_name = "Martin"
    birth_date = datetime.date(1985, 4, 12)
    sex = Member.Sex.FEMALE
    relationship = Member.Relationship.APPLICANT


class EntitlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entitlement
        skip_postgeneration_save = True

    household = factory.SubFactory(HouseholdFactory)
    start = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(days=89))
    monthly_allowance = Decimal("30.00")
    allowance_basis = "paid"
    participation_rate = Decimal("0.200")
    status = Entitlement.Status.ACTIVE

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create:
            self.sites.set(extracted if extracted is not None else [SiteFactory(code="centre")])


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Card

    household = factory.SubFactory(HouseholdFactory)
    number = factory.Sequence(lambda n: _luhn(f"8{n:08d}"))


def _luhn(body: str) -> str:
    from stdnum import luhn

    return body + luhn.calc_check_digit(body)


def household_with_members(*members, **kwargs):
    """A household with members given as (first_name, birth_date, relationship) tuples."""
    from beneficiaries.models import Member as MemberModel

    household = HouseholdFactory(**kwargs)
    for first_name, birth_date, relationship in members or [
        ("Camille", datetime.date(1985, 4, 12), "applicant")
    ]:
        MemberModel.objects.create(
            household=household,
            first_name=first_name,
            last_name="Martin",
            birth_date=birth_date,
            relationship=relationship,
        )
    return household


def budget_for(household, *, income="1200.00", expenses="900.00"):
    from beneficiaries.services import budget_record

    return budget_record(
        household=household,
        actor=None,
        incomes=[{"category": "rsa", "monthly_amount": income}],
        expenses=[{"category": "housing", "monthly_amount": expenses}],
    )


def submitted_referral(household=None, *, partner=None, actor=None):
    from beneficiaries.models import Referral

    household = household or household_with_members()
    budget = budget_for(household)
    return Referral.objects.create(
        household=household,
        partner=partner,
        created_by=actor,
        budget=budget,
        situation="Situation",
        reason="Motif",
        status=Referral.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
