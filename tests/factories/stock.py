"""Factories for stock: catalogue, locations and lots (lots get their receipt movement)."""

import datetime
import itertools
from decimal import Decimal

import factory

from stock.barcodes import with_check_digit
from stock.models import Barcode, Category, Location, Lot, Product
from tests.factories.core import SiteFactory

_ean_serial = itertools.count(1)


def next_ean13() -> str:
    """A valid EAN-13 in the French GS1 range (prefix 3), unique within a test run."""
    return with_check_digit(f"376{next(_ean_serial):09d}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Catégorie {n}")
    food_group = Category.FoodGroup.STARCHES
    given_free = False


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Pâtes n°{n}")
    brand = "Panzani"
    category = factory.SubFactory(CategoryFactory)
    unit = Product.Unit.PIECE
    net_weight_kg = Decimal("0.500")
    market_price = Decimal("1.20")
    storage = Product.Storage.AMBIENT
    low_stock_threshold = Decimal("5")


class BarcodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Barcode

    product = factory.SubFactory(ProductFactory)
    code = factory.LazyFunction(next_ean13)
    kind = Barcode.Kind.EAN13


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("site", "name")

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Réserve {n}")
    kind = Location.Kind.RESERVE


def make_lot(
    *,
    product=None,
    location=None,
    quantity="10",
    use_by=None,
    best_before=None,
    origin=Lot.Origin.FOOD_BANK,
    lot_number="L1",
    received_on=None,
    unit_cost=None,
    **kwargs,
) -> Lot:
    """A lot received through the service, so the ledger holds its receipt movement."""
    from stock.services import lot_receive

    product = product or ProductFactory()
    location = location or LocationFactory()
    received_on = received_on or datetime.date.today() - datetime.timedelta(days=1)
    return lot_receive(
        product=product,
        location=location,
        origin=origin,
        quantity=Decimal(quantity),
        use_by=use_by,
        best_before=best_before,
        lot_number=lot_number,
        received_on=received_on,
        unit_cost=unit_cost,
        document_type="test",
        document_id="1",
        **kwargs,
    )


def make_donation(*, partner, site, lines=None, actor=None, donated_on=None, **kwargs):
    """An announced donation through the service (lines default to two products)."""
    from stock.services import donation_create

    if lines is None:
        lines = [
            {
                "product": ProductFactory(),
                "quantity": "10",
                "best_before": datetime.date.today() + datetime.timedelta(days=200),
                "lot_number": "A1",
                "unit_cost": "0.80",
            },
            {
                "product": ProductFactory(storage="chilled"),
                "quantity": "6",
                "use_by": datetime.date.today() + datetime.timedelta(days=10),
                "lot_number": "Y7",
            },
        ]
    return donation_create(
        partner=partner,
        site=site,
        lines=lines,
        actor=actor,
        donated_on=donated_on or datetime.date.today(),
        **kwargs,
    )
