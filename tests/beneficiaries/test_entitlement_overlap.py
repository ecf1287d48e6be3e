"""At most one entitlement in force per household on any date, enforced by the database itself
(exclusion constraint on PostgreSQL, triggers on SQLite) and checked first by the service."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connections, transaction

from beneficiaries.models import Entitlement
from beneficiaries.services import entitlement_create
from grocery.errors import DomainError
from tests.factories.beneficiaries import EntitlementFactory, HouseholdFactory

D = Decimal
MARCH = datetime.date(2026, 3, 1)


def _raw(household, start, end, status="active"):
    return Entitlement.objects.create(
        household=household,
        start=start,
        end=end,
        monthly_allowance=D("20.00"),
        participation_rate=D("0.200"),
        status=status,
    )


@pytest.mark.django_db
def test_the_database_refuses_two_overlapping_entitlements_in_force():
    household = HouseholdFactory()
    _raw(household, MARCH, datetime.date(2026, 5, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(household, datetime.date(2026, 5, 31), datetime.date(2026, 8, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(household, datetime.date(2026, 4, 1), datetime.date(2026, 4, 30), status="suspended")
    assert Entitlement.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_reactivating_into_an_overlap():
    household = HouseholdFactory()
    _raw(household, MARCH, datetime.date(2026, 5, 31))
    ended = _raw(household, datetime.date(2026, 4, 1), datetime.date(2026, 6, 30), status="ended")
    ended.status = "active"
    with pytest.raises(IntegrityError), transaction.atomic():
        ended.save()


@pytest.mark.django_db
def test_consecutive_periods_and_other_households_are_allowed():
    household = HouseholdFactory()
    _raw(household, MARCH, datetime.date(2026, 5, 31))
    _raw(household, datetime.date(2026, 6, 1), datetime.date(2026, 8, 31))
    _raw(household, datetime.date(2026, 4, 1), datetime.date(2026, 4, 30), status="ended")
    _raw(HouseholdFactory(), MARCH, datetime.date(2026, 5, 31))
    assert Entitlement.objects.count() == 4


@pytest.mark.django_db
def test_the_service_answers_a_clear_conflict(site, ccas):
    existing = EntitlementFactory(start=MARCH, end=datetime.date(2026, 5, 31), sites=[site])
    with pytest.raises(DomainError) as error:
        entitlement_create(
            household=existing.household,
            sites=[site],
            start=datetime.date(2026, 4, 1),
            monthly_allowance=D("20.00"),
            actor=ccas,
        )
    assert error.value.code == "entitlement_overlap" and error.value.status == 409
    assert Entitlement.objects.count() == 1


@pytest.mark.django_db
def test_the_service_refuses_an_end_before_the_start(site, ccas):
    household = HouseholdFactory()
    with pytest.raises(DomainError) as error:
        entitlement_create(
            household=household,
            sites=[site],
            start=MARCH,
            end=datetime.date(2026, 2, 1),
            monthly_allowance=D("20.00"),
            actor=ccas,
        )
    assert error.value.code == "invalid_dates" and "end" in error.value.fields
    assert not Entitlement.objects.exists() and not household.cards.exists()


@pytest.mark.django_db
def test_the_service_refuses_a_negative_allowance(site, ccas):
    household = HouseholdFactory()
    with pytest.raises(DomainError) as error:
        entitlement_create(
            household=household, sites=[site], start=MARCH, monthly_allowance=D("-5"), actor=ccas
        )
    assert error.value.code == "invalid_amount" and "monthly_allowance" in error.value.fields


@pytest.mark.django_db
def test_creating_an_entitlement_issues_a_card_and_uses_the_period_setting(site, ccas):
    household = HouseholdFactory()
    entitlement = entitlement_create(
        household=household, sites=[site], start=MARCH, monthly_allowance=D("20.00"), actor=ccas
    )
    assert entitlement.end == datetime.date(2026, 5, 31)
    assert entitlement.participation_rate == D("0.200") and entitlement.allowance_basis == "paid"
    assert household.cards.filter(is_active=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_has_the_exclusion_constraint():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT contype FROM pg_constraint WHERE conname = 'entitlement_no_overlap'")
        assert cursor.fetchone() == ("x",)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_open_one_entitlement(site):
    household = HouseholdFactory()
    barrier = threading.Barrier(4)
    outcomes = []

    def approve(offset_days):
        try:
            barrier.wait()
            entitlement_create(
                household=household,
                sites=[site],
                start=MARCH + datetime.timedelta(days=offset_days),
                monthly_allowance=D("20.00"),
                actor=None,
            )
            outcomes.append("created")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(day,)) for day in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["entitlement_overlap"] * 3
    assert Entitlement.objects.filter(household=household).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_an_overlap_written_around_the_service():
    household = HouseholdFactory()
    _raw(household, MARCH, datetime.date(2026, 5, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(household, datetime.date(2026, 5, 1), datetime.date(2026, 7, 31))
