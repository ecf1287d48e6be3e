"""Factories for the counter: tills, open sessions, pricing rules, limits, and a ready shop
(`make_shop`) with products in stock, a household with its card and entitlement, an open till."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import factory
from django.utils import timezone

from grocery.models import CashSession, Limit, PricingRule, Till
from tests.factories.core import SiteFactory


class TillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Till
        django_get_or_create = ("site", "name")

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Caisse {n + 1}")


def open_session(*, till=None, opened_by, opening_count=None, at=None) -> CashSession:
    """A session opened through the service, as a volunteer does it."""
    from grocery.counter.services import cash_session_open

    till = till or TillFactory()
    return cash_session_open(
        till_id=till.pk,
        opening_count=opening_count if opening_count is not None else {"20.00": 2, "1.00": 10},
        actor=opened_by,
        at=at or timezone.now() - datetime.timedelta(hours=1),
    )


class PricingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PricingRule

    name = factory.Sequence(lambda n: f"Règle {n}")
    kind = PricingRule.Kind.FIXED
    rate = Decimal("0.300")


class LimitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Limit

    name = factory.Sequence(lambda n: f"Limite {n}")
    period = Limit.Period.MONTH
    quantity = Decimal("1")
    per_extra_person = Decimal("0")


@dataclass
class Shop:
    site: object
    location: object
    till: object
    session: object
    household: object
    card: object
    entitlement: object
    products: list = field(default_factory=list)
    barcodes: list = field(default_factory=list)
    lots: list = field(default_factory=list)

    def line(self, index: int, quantity="1") -> dict:
        return {"barcode": self.barcodes[index], "quantity": str(quantity)}


def make_household(*, site, persons: int = 1, allowance="30.00", basis="paid", rate="0.200", status="active"):
    from tests.factories.beneficiaries import CardFactory, EntitlementFactory, HouseholdFactory, MemberFactory

    household = HouseholdFactory()
    for index in range(persons):
        MemberFactory(
            household=household,
            first_name=f"Membre {index}",
            relationship="applicant" if index == 0 else "child",
        )
    entitlement = EntitlementFactory(
        household=household,
        sites=[site],
        monthly_allowance=Decimal(allowance),
        allowance_basis=basis,
        participation_rate=Decimal(rate),
        status=status,
        start=timezone.localdate() - datetime.timedelta(days=10),
        end=timezone.localdate() + datetime.timedelta(days=80),
    )
    card = CardFactory(household=household)
    return household, card, entitlement


def make_shop(
    *,
    site,
    volunteer,
    products: int = 3,
    stock="20",
    market_price="2.50",
    origin="purchase",
    allowance="30.00",
    basis="paid",
    rate="0.200",
    persons: int = 1,
) -> Shop:
    from tests.factories.stock import BarcodeFactory, LocationFactory, ProductFactory, make_lot

    location = LocationFactory(site=site, name="Réserve")
    till = TillFactory(site=site, name="Caisse 1")
    session = open_session(till=till, opened_by=volunteer)
    household, card, entitlement = make_household(
        site=site, persons=persons, allowance=allowance, basis=basis, rate=rate
    )
    shop = Shop(
        site=site,
        location=location,
        till=till,
        session=session,
        household=household,
        card=card,
        entitlement=entitlement,
    )
    for index in range(products):
        product = ProductFactory(name=f"Produit {index}", market_price=Decimal(market_price))
        barcode = BarcodeFactory(product=product)
        lot = make_lot(
            product=product,
            location=location,
            quantity=stock,
            origin=origin,
            use_by=timezone.localdate() + datetime.timedelta(days=30),
            lot_number=f"L{index}",
        )
        shop.products.append(product)
        shop.barcodes.append(barcode.code)
        shop.lots.append(lot)
    return shop
