"""A small épicerie for the till's browser tests and its benchmark: one site with a till, a
catalogue with stock, and households with their cards (see `build`)."""
from dataclasses import dataclass, field
from decimal import Decimal

from stock.models import Category, Lot, Product
from tests.factories.beneficiaries import CardFactory, EntitlementFactory, HouseholdFactory, MemberFactory
from tests.factories.counter import TillFactory
from tests.factories.stock import BarcodeFactory, CategoryFactory, LocationFactory, ProductFactory, make_lot


@dataclass
class World:
    site: object
    till: object
    products: dict = field(default_factory=dict)  # short name -> Product
    barcodes: dict = field(default_factory=dict)  # short name -> EAN-13
    cards: dict = field(default_factory=dict)  # short name -> Card


CATALOGUE = [
    # short name, product name, unit, market price, origin, stock, given free (FEAD goods)
    ("riz", "Riz long 1 kg", Product.Unit.PIECE, "2.35", Lot.Origin.PURCHASE, "40", False),
    ("huile", "Huile de tournesol 1 l", Product.Unit.PIECE, "3.50", Lot.Origin.PURCHASE, "40", False),
    ("pates", "Pâtes 500 g", Product.Unit.PIECE, "1.20", Lot.Origin.PURCHASE, "40", False),
    ("pommes", "Pommes", Product.Unit.KG, "2.99", Lot.Origin.STORE_PICKUP, "20", False),
    ("lait", "Lait demi-écrémé 1 l", Product.Unit.PIECE, "1.05", Lot.Origin.FEAD, "40", True),
]

HOUSEHOLDS = [
    # short name, display name, persons, monthly allowance
    ("martin", "Famille Martin", 3, "30.00"),
    ("bernard", "Famille Bernard", 2, "30.00"),
    ("petit", "Famille Petit", 1, "2.00"),
]


def build(site, *, till_name: str = "Caisse 1", extra_products: int = 0) -> World:
    till = TillFactory(site=site, name=till_name)
    world = World(site=site, till=till)
    location = LocationFactory(site=site, name="Rayon")
    category = CategoryFactory(name="Épicerie", food_group=Category.FoodGroup.STARCHES)
    free = CategoryFactory(
        name="Aide européenne (FSE+)", food_group=Category.FoodGroup.DAIRY, given_free=True
    )
    for short, name, unit, price, origin, quantity, given_free in CATALOGUE:
        product = ProductFactory(
            name=name,
            brand="",
            unit=unit,
            market_price=Decimal(price),
            category=free if given_free else category,
        )
        barcode = BarcodeFactory(product=product)
        make_lot(
            product=product, location=location, quantity=quantity, origin=origin, lot_number=f"L-{short}"
        )
        world.products[short] = product
        world.barcodes[short] = barcode.code
    for n in range(extra_products):
        product = ProductFactory(name=f"Article {n}", brand="", category=category)
        world.products[f"article{n}"] = product
        world.barcodes[f"article{n}"] = BarcodeFactory(product=product).code
        make_lot(product=product, location=location, quantity="100", origin=Lot.Origin.PURCHASE)
    for short, name, persons, allowance in HOUSEHOLDS:
        household = HouseholdFactory(display_name=name)
        for _ in range(persons):
            MemberFactory(household=household)
        EntitlementFactory(household=household, sites=[site], monthly_allowance=Decimal(allowance))
        world.cards[short] = CardFactory(household=household)
    return world
