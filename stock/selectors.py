"""Reads of stock shared by pages, the API and other apps (the counter)."""
from grocery.errors import NotFound

from .barcodes import normalise_barcode
from .models import Barcode, Product


def product_by_barcode(code: str) -> Product:
    """The product a scanned code belongs to.

    Raises `invalid_barcode` (400) for a code that cannot be a barcode (wrong check digit,
    length, characters) and `unknown_barcode` (404) for a valid code nobody registered.
    """
    normalised = normalise_barcode(code)
    barcode = (
        Barcode.objects.select_related("product__category").filter(code=normalised).first()
    )
    if barcode is None:
        raise NotFound.for_field(
            "barcode", f"Code-barres inconnu : {normalised}.", "unknown_barcode"
        )
    return barcode.product
