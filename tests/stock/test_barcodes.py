"""Barcode validation with real codes, good and bad; internal codes; lookup by barcode."""

import pytest

from grocery.errors import DomainError
from stock.barcodes import (
    barcode_kind,
    internal_code,
    is_valid_barcode,
    label_svg,
    normalise_barcode,
    with_check_digit,
)
from stock.selectors import product_by_barcode
from tests.factories.stock import BarcodeFactory

# Real codes printed on products sold in France (and the textbook UPC-A / EAN-8 examples).
GOOD = [
    ("3017620422003", "3017620422003", "ean13"),  # Nutella 400 g
    ("3017620425035", "3017620425035", "ean13"),  # Nutella 1 kg
    ("5449000000996", "5449000000996", "ean13"),  # Coca-Cola 33 cl
    ("3274080005003", "3274080005003", "ean13"),  # Cristaline 1.5 l
    ("3228857000166", "3228857000166", "ean13"),  # Harrys pain de mie
    ("3033710065967", "3033710065967", "ean13"),  # Nestlé
    ("3046920022651", "3046920022651", "ean13"),  # Lindt
    ("4006381333931", "4006381333931", "ean13"),  # Stabilo
    ("978-0-471-11709-4", "9780471117094", "ean13"),  # ISBN as EAN-13, with hyphens
    (" 3560070048861 ", "3560070048861", "ean13"),  # Carrefour, with spaces around
    ("96385074", "96385074", "ean8"),
    ("73513537", "73513537", "ean8"),
    ("50184385", "50184385", "ean8"),
    ("036000291452", "0036000291452", "upca"),  # UPC-A stored as its EAN-13 form
    ("012345678905", "0012345678905", "upca"),
    ("2000000000015", "2000000000015", "internal"),
    ('è"(&"("è', "73513537", "ean8"),  # a QWERTY scanner on an AZERTY keyboard
]

BAD = [
    ("3017620422004", "invalid_barcode"),  # Nutella with the last digit changed
    ("5449000000997", "invalid_barcode"),
    ("96385075", "invalid_barcode"),  # EAN-8, wrong check digit
    ("036000291453", "invalid_barcode"),  # UPC-A, wrong check digit
    ("301762042200", "invalid_barcode"),  # 12 digits: a truncated EAN-13 is a bad UPC-A
    ("30176204220", "invalid_barcode"),  # 11 digits
    ("30176204220031", "invalid_barcode"),  # 14 digits (GTIN-14, a carton)
    ("3017620A22003", "invalid_barcode"),
    ("", "invalid_barcode"),
    ("   ", "invalid_barcode"),
]


@pytest.mark.parametrize(("raw", "normalised", "kind"), GOOD)
def test_good_codes_are_normalised(raw, normalised, kind):
    assert normalise_barcode(raw) == normalised
    assert barcode_kind(raw) == kind
    assert is_valid_barcode(raw)


@pytest.mark.parametrize(("raw", "code"), BAD)
def test_bad_codes_are_refused_with_a_code_naming_the_field(raw, code):
    with pytest.raises(DomainError) as info:
        normalise_barcode(raw)
    assert info.value.code == code
    assert info.value.status == 400
    assert "barcode" in info.value.fields
    assert not is_valid_barcode(raw)


def test_internal_codes_carry_a_valid_check_digit_and_the_in_store_prefix():
    codes = [internal_code(n) for n in (1, 42, 9_999_999_999)]
    assert codes[0] == "2000000000015"
    for code in codes:
        assert len(code) == 13 and code.startswith("20")
        assert normalise_barcode(code) == code
        assert barcode_kind(code) == "internal"
    assert len(set(codes)) == 3
    with pytest.raises(ValueError):
        internal_code(0)


def test_check_digit_generation_matches_real_codes():
    assert with_check_digit("301762042200") == "3017620422003"
    assert with_check_digit("9638507") == "96385074"


def test_label_is_an_svg_barcode():
    svg = label_svg("3017620422003")
    assert svg.startswith("<svg") and "rect" in svg


@pytest.mark.django_db
def test_product_by_barcode_finds_the_product_from_any_form_of_the_code():
    barcode = BarcodeFactory(code="0036000291452", kind="upca")
    assert product_by_barcode("036000291452") == barcode.product
    assert product_by_barcode("0036000291452") == barcode.product


@pytest.mark.django_db
def test_product_by_barcode_refuses_unknown_and_invalid_codes():
    with pytest.raises(DomainError) as unknown:
        product_by_barcode("3017620422003")
    assert (unknown.value.code, unknown.value.status) == ("unknown_barcode", 404)
    with pytest.raises(DomainError) as invalid:
        product_by_barcode("3017620422004")
    assert (invalid.value.code, invalid.value.status) == ("invalid_barcode", 400)
