"""Registering households: derived composition, consent, duplicates (warn and link), bad input."""

import datetime

import pytest

from beneficiaries.models import Household
from beneficiaries.services import budget_record, household_create, member_add, member_remove
from grocery.errors import DomainError
from tests.factories.beneficiaries import household_with_members

pytestmark = pytest.mark.django_db

D = datetime.date


def _members(*rows):
    return [{"first_name": f, "last_name": "Durand", "birth_date": b, "relationship": r} for f, b, r in rows]


def test_a_household_gets_a_reference_type_persons_and_units(ccas):
    household = household_create(
        actor=ccas,
        display_name="Famille Durand",
        consent=True,
        city="Caen",
        members=_members(
            ("Paul", D(1980, 1, 1), "applicant"),
            ("Léa", D(1982, 5, 5), "partner"),
            ("Tom", D(2015, 3, 3), "child"),
        ),
    )
    assert household.reference == f"F-{household.created_at:%Y}-{household.pk:05d}"
    assert household.household_type == "couple_children" and household.persons == 3
    assert household.consumption_units == __import__("decimal").Decimal("1.8")
    assert household.consent_at is not None and household.consent_text_version == "2026-01"


def test_consent_is_required(ccas):
    with pytest.raises(DomainError) as error:
        household_create(
            actor=ccas, display_name="X", consent=False, members=_members(("A", D(1980, 1, 1), "applicant"))
        )
    assert error.value.code == "consent_required" and "consent" in error.value.fields
    assert not Household.objects.exists()


def test_a_birth_date_in_the_future_is_refused_naming_the_member(ccas):
    future = datetime.date.today() + datetime.timedelta(days=3)
    with pytest.raises(DomainError) as error:
        household_create(
            actor=ccas,
            display_name="X",
            consent=True,
            members=_members(("A", D(1980, 1, 1), "applicant"), ("B", future, "child")),
        )
    assert error.value.code == "invalid_birth_date" and "members[1].birth_date" in error.value.fields
    assert not Household.objects.exists()


def test_a_known_person_is_reported_not_silently_duplicated(ccas):
    existing = household_with_members(("Hélène", D(1975, 7, 14), "applicant"))
    existing.members.update(last_name="Dupré")
    with pytest.raises(DomainError) as error:
        household_create(
            actor=ccas,
            display_name="Dupré",
            consent=True,
            members=[{"first_name": "HELENE", "last_name": "dupre", "birth_date": D(1975, 7, 14)}],
        )
    assert error.value.code == "possible_duplicate" and error.value.status == 409
    assert error.value.extra["duplicates"] == [{"id": existing.pk, "reference": existing.reference}]
    assert Household.objects.count() == 1
    # A genuine homonym can be recorded deliberately.
    household_create(
        actor=ccas,
        display_name="Dupré",
        consent=True,
        confirm_not_duplicate=True,
        members=[{"first_name": "Hélène", "last_name": "Dupré", "birth_date": D(1975, 7, 14)}],
    )
    assert Household.objects.count() == 2


def test_adding_a_member_checks_duplicates_in_other_households(ccas):
    household_with_members(("Ali", D(2001, 2, 2), "applicant"))
    other = household_with_members(("Zoé", D(1990, 1, 1), "applicant"))
    with pytest.raises(DomainError) as error:
        member_add(
            household=other, actor=ccas, first_name="Ali", last_name="Martin", birth_date=D(2001, 2, 2)
        )
    assert error.value.code == "possible_duplicate"


def test_the_last_member_cannot_be_removed(ccas):
    household = household_with_members()
    with pytest.raises(DomainError) as error:
        member_remove(member=household.members.get(), actor=ccas)
    assert error.value.code == "last_member"


def test_budgets_are_versioned_and_refuse_negative_amounts(ccas):
    household = household_with_members()
    first = budget_record(
        household=household, actor=ccas, incomes=[{"category": "rsa", "monthly_amount": "600"}]
    )
    second = budget_record(
        household=household,
        actor=ccas,
        incomes=[{"category": "rsa", "monthly_amount": "650"}],
        expenses=[{"category": "housing", "monthly_amount": "300.50"}],
    )
    assert (first.number, second.number) == (1, 2)
    first.refresh_from_db()
    assert first.total_income == 600 and first.lines.count() == 1
    assert second.total_expenses == __import__("decimal").Decimal("300.50")
    for bad in ("-10", "abc", "1e9"):
        with pytest.raises(DomainError) as error:
            budget_record(
                household=household, actor=ccas, expenses=[{"category": "energy", "monthly_amount": bad}]
            )
        assert error.value.code == "invalid_amount" and "expenses[0].monthly_amount" in error.value.fields
    with pytest.raises(DomainError) as error:
        budget_record(
            household=household, actor=ccas, incomes=[{"category": "lottery", "monthly_amount": "1"}]
        )
    assert error.value.code == "invalid_category"
    assert household.budgets.count() == 2


def test_api_create_reports_field_errors_in_french(api, ccas):
    response = api(ccas).post("/api/v1/households/", {"display_name": "", "consent": True, "members": []})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "display_name" in response.json()["fields"]
    response = api(ccas).post(
        "/api/v1/households/",
        {
            "display_name": "X",
            "consent": True,
            "members": [{"first_name": "A", "last_name": "B", "birth_date": "2999-01-01"}],
        },
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_birth_date"
    assert "futur" in response.json()["detail"]
