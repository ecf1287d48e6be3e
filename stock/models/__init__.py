"""Catalogue, lots, the movement ledger, donations, purchases, waste and stocktakes."""

from .catalogue import Barcode, Category, Product
from .documents import (
    Attestation,
    AttestationCounter,
    Donation,
    DonationLine,
    Purchase,
    PurchaseLine,
    Stocktake,
    StocktakeLine,
    Transfer,
    Waste,
)
from .ledger import Location, Lot, Movement, TemperatureReading
from .settings import StockSettings

__all__ = [
    "Attestation",
    "AttestationCounter",
    "Donation",
    "DonationLine",
    "Purchase",
    "PurchaseLine",
    "Stocktake",
    "StocktakeLine",
    "Transfer",
    "Waste",
    "Barcode",
    "Category",
    "Location",
    "Lot",
    "Movement",
    "Product",
    "StockSettings",
    "TemperatureReading",
]
