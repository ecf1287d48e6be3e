"""First-expired-first-out allocation."""

import datetime
from decimal import Decimal

import pytest

from grocery.errors import DomainError
from stock.fefo import allocate
from stock.models import StockSettings
from tests.factories.stock import LocationFactory, ProductFactory, make_lot

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)
D = datetime.timedelta


@pytest.fixture
def product():
    return ProductFactory()


@pytest.fixture
def shelf(site):
    return LocationFactory(site=site, name="Rayon")


def lot(product, shelf, quantity, **dates):
    return make_lot(product=product, location=shelf, quantity=quantity, received_on=TODAY - D(30), **dates)


def test_takes_the_lot_that_expires_first(product, shelf, site):
    late = lot(product, shelf, "5", use_by=TODAY + D(10))
    soon = lot(product, shelf, "3", use_by=TODAY + D(2))
    ddm = lot(product, shelf, "4", best_before=TODAY + D(5))
    allocations = allocate(product_id=product.pk, site_id=site.pk, quantity=Decimal("9"), on_date=TODAY)
    assert [(a.lot.pk, a.quantity) for a in allocations] == [(soon.pk, 3), (ddm.pk, 4), (late.pk, 2)]
    assert not any(a.past_best_before for a in allocations)


def test_never_takes_a_lot_past_its_use_by_date(product, shelf, site):
    expired = lot(product, shelf, "5", use_by=TODAY + D(1))
    fresh = lot(product, shelf, "2", use_by=TODAY + D(6))
    allocations = allocate(
        product_id=product.pk, site_id=site.pk, quantity=Decimal("2"), on_date=TODAY + D(2)
    )
    assert [a.lot.pk for a in allocations] == [fresh.pk]
    assert expired.pk not in [a.lot.pk for a in allocations]


def test_use_by_day_itself_is_still_distributable(product, shelf, site):
    today = lot(product, shelf, "1", use_by=TODAY)
    allocations = allocate(product_id=product.pk, site_id=site.pk, quantity=Decimal("1"), on_date=TODAY)
    assert allocations[0].lot.pk == today.pk


def test_past_best_before_is_taken_within_tolerance_and_marked(product, shelf, site):
    settings = StockSettings.get_solo()
    settings.ddm_tolerance_days = 30
    settings.save()
    too_old = lot(product, shelf, "1", best_before=TODAY - D(31))
    within = lot(product, shelf, "1", best_before=TODAY - D(30))
    month_only = lot(product, shelf, "1", best_before=TODAY - D(100), best_before_month_only=True)
    allocations = allocate(product_id=product.pk, site_id=site.pk, quantity=Decimal("2"), on_date=TODAY)
    assert [a.lot.pk for a in allocations] == [month_only.pk, within.pk]
    assert all(a.past_best_before for a in allocations)
    with pytest.raises(DomainError) as info:
        allocate(product_id=product.pk, site_id=site.pk, quantity=Decimal("3"), on_date=TODAY)
    assert info.value.code == "out_of_stock"
    assert too_old.pk  # never offered


def test_other_sites_and_empty_lots_are_ignored(product, shelf, site, other_site):
    lot(product, LocationFactory(site=other_site, name="Réserve"), "10", use_by=TODAY + D(1))
    here = lot(product, shelf, "2", use_by=TODAY + D(3))
    allocations = allocate(product_id=product.pk, site_id=site.pk, quantity=Decimal("2"), on_date=TODAY)
    assert [a.lot.pk for a in allocations] == [here.pk]


def test_out_of_stock_says_what_is_available(shelf, site):
    product = ProductFactory(unit="kg")
    lot(product, shelf, "2.5", use_by=TODAY + D(3))
    with pytest.raises(DomainError) as info:
        allocate(product_id=product.pk, site_id=site.pk, quantity=Decimal("3"), on_date=TODAY)
    assert info.value.code == "out_of_stock"
    assert info.value.status == 409
    assert Decimal(info.value.extra["available"]) == Decimal("2.5")


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_quantity_must_be_positive(product, site, quantity):
    with pytest.raises(DomainError) as info:
        allocate(product_id=product.pk, site_id=site.pk, quantity=Decimal(quantity), on_date=TODAY)
    assert info.value.code == "invalid_quantity"


def test_allocation_runs_a_constant_number_of_queries(product, shelf, site, django_assert_max_num_queries):
    for days in range(20):
        lot(product, shelf, "1", use_by=TODAY + D(days + 1))
    StockSettings.get_solo()
    with django_assert_max_num_queries(2):
        allocations = allocate(product_id=product.pk, site_id=site.pk, quantity=Decimal("15"), on_date=TODAY)
    assert len(allocations) == 15
