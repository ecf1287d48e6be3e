"""Catalogue, lots, the movement ledger, donations, purchases, waste and stocktakes."""
from .catalogue import Barcode, Category, Product
from .ledger import Location, Lot, Movement, TemperatureReading
from .settings import StockSettings

__all__ = [
    "Barcode",
    "Category",
    "Location",
    "Lot",
    "Movement",
    "Product",
    "StockSettings",
    "TemperatureReading",
]
