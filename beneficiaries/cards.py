"""Card numbers and their barcodes.

A card number is 10 digits: the prefix 8, eight random digits, and a Luhn check digit
(`stdnum.luhn`). Ten digits never look like a product barcode (EAN-8, UPC-A 12, EAN-13), so the
till can tell a card from an article by its length. Random rather than sequential, so a number
cannot be guessed from another household's card.
"""

import io
import random
import re
import secrets

import barcode
from barcode.writer import ImageWriter, SVGWriter
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumValidationError

PREFIX = "8"
LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-.]")


class InvalidCardNumber(ValueError):
    pass


def generate_number(rng: random.Random | None = None) -> str:
    """A new card number (not checked for uniqueness: the caller retries on a collision)."""
    digits = LENGTH - len(PREFIX) - 1
    randbelow = rng.randrange if rng is not None else secrets.randbelow
    body = PREFIX + str(randbelow(10**digits)).zfill(digits)
    return body + luhn.calc_check_digit(body)


def normalise_number(raw: str) -> str:
    """The number without spaces or dashes; raises InvalidCardNumber for anything that is not
    a card number with a valid check digit."""
    number = _SEPARATORS.sub("", str(raw or ""))
    if not number.isdigit() or len(number) != LENGTH:
        raise InvalidCardNumber("format")
    try:
        luhn.validate(number)
    except StdnumValidationError:
        raise InvalidCardNumber("check_digit") from None
    return number


def _code128(number: str, writer):
    return barcode.get("code128", number, writer=writer)


def barcode_svg(number: str) -> bytes:
    out = io.BytesIO()
    _code128(number, SVGWriter()).write(out, options={"module_height": 12.0, "font_size": 8})
    return out.getvalue()


def barcode_png(number: str) -> bytes:
    out = io.BytesIO()
    _code128(number, ImageWriter()).write(out, options={"module_height": 12.0, "font_size": 8, "dpi": 300})
    return out.getvalue()
