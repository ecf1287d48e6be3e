"""The monthly allowance row the counter locks: creation from the entitlement, recording
sales and refunds with F() updates, remaining by basis, carry-over."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections, transaction

from beneficiaries.models import AllowanceMonth, BeneficiarySettings, Entitlement
from beneficiaries.selectors import entitlement_active_on
from beneficiaries.services import allowance_month_lock, allowance_month_record
from grocery.errors import DomainError
from tests.factories.beneficiaries import EntitlementFactory, HouseholdFactory
from tests.factories.core import SiteFactory

D = Decimal
START = datetime.date(2026, 3, 1)


@pytest.fixture
def entitlement(db, site):
    return EntitlementFactory(
        start=START, end=datetime.date(2026, 5, 31), monthly_allowance=D("30.00"), sites=[site]
    )


@pytest.mark.django_db
def test_lock_creates_the_month_from_the_entitlement(entitlement):
    month = allowance_month_lock(household_id=entitlement.household_id, on_date=datetime.date(2026, 3, 17))
    assert month.month == START and month.entitlement == entitlement
    assert month.allowance == D("30.00") and month.remaining == D("30.00")
    again = allowance_month_lock(household_id=entitlement.household_id, on_date=datetime.date(2026, 3, 30))
    assert again.pk == month.pk
    assert AllowanceMonth.objects.count() == 1


@pytest.mark.django_db
def test_record_adds_sales_and_refunds(entitlement):
    at = datetime.datetime(2026, 3, 17, 10, 0, tzinfo=datetime.UTC)
    with transaction.atomic():
        month = allowance_month_lock(household_id=entitlement.household_id, on_date=at.date())
        allowance_month_record(month=month, paid=D("6.40"), market=D("32.00"), visit=True, at=at)
        assert month.remaining == D("23.60")
    with transaction.atomic():
        month = allowance_month_lock(household_id=entitlement.household_id, on_date=at.date())
        allowance_month_record(month=month, paid=D("-1.40"), market=D("-7.00"), visit=False, at=at)
    month.refresh_from_db()
    assert (month.spent_paid, month.spent_market, month.visits) == (D("5.00"), D("25.00"), 1)
    assert month.last_visit_at == at
    assert month.remaining == D("25.00") and month.savings == D("20.00")


@pytest.mark.django_db
def test_remaining_follows_the_market_basis(site):
    entitlement = EntitlementFactory(
        start=START,
        end=datetime.date(2026, 5, 31),
        allowance_basis="market",
        monthly_allowance=D("100.00"),
        sites=[site],
    )
    month = allowance_month_lock(household_id=entitlement.household_id, on_date=START)
    allowance_month_record(month=month, paid=D("8.00"), market=D("40.00"), visit=True)
    month.refresh_from_db()
    assert month.remaining == D("60.00")


@pytest.mark.django_db
def test_lock_without_an_active_entitlement_is_refused(site):
    household = HouseholdFactory()
    EntitlementFactory(
        household=household,
        start=START,
        end=datetime.date(2026, 5, 31),
        status=Entitlement.Status.SUSPENDED,
        sites=[site],
    )
    with pytest.raises(DomainError) as error:
        allowance_month_lock(household_id=household.pk, on_date=START)
    assert error.value.code == "entitlement_inactive"
    assert not AllowanceMonth.objects.exists()


@pytest.mark.django_db
def test_carry_over_is_capped_when_the_setting_is_on(entitlement):
    settings = BeneficiarySettings.get_solo()
    settings.carry_over, settings.carry_over_cap = True, D("10.00")
    settings.save()
    march = allowance_month_lock(household_id=entitlement.household_id, on_date=START)
    allowance_month_record(month=march, paid=D("5.00"), market=D("25.00"), visit=True)
    april = allowance_month_lock(household_id=entitlement.household_id, on_date=datetime.date(2026, 4, 2))
    assert april.carried_over == D("10.00") and april.remaining == D("40.00")


@pytest.mark.django_db
def test_no_carry_over_by_default(entitlement):
    allowance_month_lock(household_id=entitlement.household_id, on_date=START)
    april = allowance_month_lock(household_id=entitlement.household_id, on_date=datetime.date(2026, 4, 2))
    assert april.carried_over == 0 and april.remaining == D("30.00")


@pytest.mark.django_db
def test_entitlement_active_on_respects_dates_status_and_site(entitlement, site):
    other = SiteFactory(code="ailleurs", name="Ailleurs")
    household_id = entitlement.household_id
    assert entitlement_active_on(household_id=household_id, on_date=START, site_id=site.pk) == entitlement
    assert entitlement_active_on(household_id=household_id, on_date=START) == entitlement
    assert entitlement_active_on(household_id=household_id, on_date=START, site_id=other.pk) is None
    assert entitlement_active_on(household_id=household_id, on_date=datetime.date(2026, 6, 1)) is None
    assert entitlement_active_on(household_id=household_id, on_date=datetime.date(2026, 2, 28)) is None
    Entitlement.objects.filter(pk=entitlement.pk).update(status=Entitlement.Status.SUSPENDED)
    assert entitlement_active_on(household_id=household_id, on_date=START) is None


@pytest.mark.django_db
def test_a_renewal_mid_month_moves_the_month_to_the_new_entitlement(site):
    household = HouseholdFactory()
    first = EntitlementFactory(
        household=household,
        start=datetime.date(2026, 1, 15),
        end=datetime.date(2026, 4, 14),
        monthly_allowance=D("20.00"),
        sites=[site],
    )
    second = EntitlementFactory(
        household=household,
        start=datetime.date(2026, 4, 15),
        end=datetime.date(2026, 7, 14),
        monthly_allowance=D("35.00"),
        sites=[site],
    )
    april = allowance_month_lock(household_id=household.pk, on_date=datetime.date(2026, 4, 2))
    assert april.entitlement == first and april.allowance == D("20.00")
    april = allowance_month_lock(household_id=household.pk, on_date=datetime.date(2026, 4, 20))
    assert april.entitlement == second and april.allowance == D("35.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tills_create_one_month_and_never_lose_a_sale(site):
    """Eight tills record a sale for the same household at once, the month row not existing yet:
    one row is created, every amount is counted."""
    entitlement = EntitlementFactory(start=START, end=datetime.date(2026, 5, 31), sites=[site])
    barrier = threading.Barrier(8)
    errors = []

    def till():
        try:
            barrier.wait()
            with transaction.atomic():
                month = allowance_month_lock(household_id=entitlement.household_id, on_date=START)
                allowance_month_record(month=month, paid=D("1.00"), market=D("5.00"), visit=True)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=till) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    month = AllowanceMonth.objects.get()
    assert (month.spent_paid, month.spent_market, month.visits) == (D("8.00"), D("40.00"), 8)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_lock_serialises_two_tills_spending_the_last_euros(site):
    """Each till checks the remaining allowance under the lock before recording: only one of
    two 20 € sales fits in a 30 € allowance."""
    entitlement = EntitlementFactory(start=START, end=datetime.date(2026, 5, 31), sites=[site])
    allowance_month_lock(household_id=entitlement.household_id, on_date=START)
    barrier = threading.Barrier(2)
    outcomes = []

    def till():
        try:
            barrier.wait()
            with transaction.atomic():
                month = allowance_month_lock(household_id=entitlement.household_id, on_date=START)
                if month.remaining < D("20.00"):
                    outcomes.append("refused")
                    return
                allowance_month_record(month=month, paid=D("20.00"), market=D("100.00"), visit=True)
                outcomes.append("sold")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=till) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "sold"]
    assert AllowanceMonth.objects.get().spent_paid == D("20.00")
