"""Barcodes: normalising what a scanner sends, check digits, internal codes for loose goods,
and printable labels.

Codes are stored normalised: digits only, UPC-A as its 13-digit EAN form (a leading 0), so a
product is found whether the scanner sends 12 or 13 digits. Internal codes are EAN-13 numbers in
the GS1 prefix 2 range reserved for in-store use ("20" + 10 digits + check digit): every scanner
reads them and nothing sold in shops carries them.
"""

from io import BytesIO

from stdnum import ean
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

from grocery.errors import DomainError

INTERNAL_PREFIX = "20"

# A scanner configured as a QWERTY keyboard on an AZERTY machine types the unshifted symbols of
# the digit row instead of the digits. Mapping them back makes those scans usable.
_AZERTY_DIGITS = str.maketrans(
    {
        "&": "1",
        "é": "2",
        '"': "3",
        "'": "4",
        "(": "5",
        "-": "6",
        "è": "7",
        "_": "8",
        "ç": "9",
        "à": "0",
        "§": "6",
    }
)


class InvalidBarcode(DomainError):
    status = 400
    default_code = "invalid_barcode"


def _clean(code: str) -> str:
    text = str(code or "").strip()
    # Hyphens are also separators in typed codes: translate only when a digit-row symbol is there.
    if any(ch in "&é\"'(è_çà§" for ch in text) and all(ch in "&é\"'(-è_çà§0123456789 " for ch in text):
        text = text.translate(_AZERTY_DIGITS)
    return text.replace(" ", "").replace("-", "")


def barcode_kind(code: str) -> str:
    """The kind of a code as typed or scanned: "ean13", "ean8", "upca" or "internal"."""
    digits = _clean(code)
    if len(digits) == 8:
        return "ean8"
    if len(digits) == 12:
        return "upca"
    if len(digits) == 13 and digits.startswith(INTERNAL_PREFIX):
        return "internal"
    return "ean13"


def normalise_barcode(code: str) -> str:
    """The stored form of a scanned or typed code; `invalid_barcode` (400) if it cannot be one.

    Accepts EAN-13, EAN-8, UPC-A (returned as 13 digits) and internal codes, with spaces or
    hyphens, and AZERTY-garbled scans.
    """
    digits = _clean(code)
    if not digits:
        raise InvalidBarcode.for_field("barcode", "Code-barres vide.")
    try:
        ean.validate(digits)
    except InvalidFormat:
        raise InvalidBarcode.for_field("barcode", "Un code-barres ne contient que des chiffres.")
    except InvalidLength:
        raise InvalidBarcode.for_field("barcode", "Longueur de code-barres invalide (8, 12 ou 13 chiffres).")
    except InvalidChecksum:
        raise InvalidBarcode.for_field("barcode", "Clé de contrôle du code-barres invalide.")
    if len(digits) == 14:
        # GTIN-14 is for cartons, not for what a till scans.
        raise InvalidBarcode.for_field("barcode", "Longueur de code-barres invalide (8, 12 ou 13 chiffres).")
    if len(digits) == 12:
        return "0" + digits
    return digits


def is_valid_barcode(code: str) -> bool:
    try:
        normalise_barcode(code)
    except InvalidBarcode:
        return False
    return True


def with_check_digit(body: str) -> str:
    """The body (12 digits for EAN-13, 7 for EAN-8) followed by its check digit."""
    return body + ean.calc_check_digit(body)


def internal_code(serial: int) -> str:
    """The internal EAN-13 code number `serial` (1 to 9 999 999 999)."""
    if not 0 < serial < 10**10:
        raise ValueError("internal code serial out of range")
    return with_check_digit(f"{INTERNAL_PREFIX}{serial:010d}")


def label_svg(code: str, text: str | None = None) -> str:
    """An SVG barcode for a label (EAN-8 or EAN-13), drawn by python-barcode."""
    import barcode
    from barcode.writer import SVGWriter

    kind = "ean8" if len(code) == 8 else "ean13"
    symbol = barcode.get(kind, code, writer=SVGWriter())
    out = BytesIO()
    options = {"module_height": 12.0, "font_size": 8, "text_distance": 4.0, "quiet_zone": 3.0}
    if text is not None:
        symbol.write(out, options=options, text=text)
    else:
        symbol.write(out, options=options)
    svg = out.getvalue().decode()
    # Drop the XML prologue and doctype so the SVG can be inlined in HTML.
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
