"""Card numbers: Luhn check digit, resolution by the till, reissue invalidating the old card."""

import random

import pytest
from stdnum import luhn

from beneficiaries import cards as card_numbers
from beneficiaries.selectors import card_resolve
from beneficiaries.services import card_issue, card_reissue
from grocery.errors import DomainError
from tests.factories.beneficiaries import CardFactory, HouseholdFactory

pytestmark = pytest.mark.django_db


def test_generated_numbers_have_ten_digits_and_a_valid_luhn_digit():
    rng = random.Random(3)
    for _ in range(50):
        number = card_numbers.generate_number(rng)
        assert len(number) == 10 and number.startswith("8")
        assert luhn.is_valid(number)


def test_card_resolve_finds_the_active_card_even_with_spaces():
    card = CardFactory()
    spaced = " ".join(card.number[i : i + 4] for i in range(0, 10, 4))
    assert card_resolve(spaced) == card


def test_card_resolve_refuses_a_wrong_check_digit():
    card = CardFactory()
    wrong = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    with pytest.raises(DomainError) as error:
        card_resolve(wrong)
    assert error.value.code == "invalid_card_number" and error.value.status == 400
    assert "number" in error.value.fields


@pytest.mark.parametrize("raw", ["", "abc", "12345", "81234567890123"])
def test_card_resolve_refuses_malformed_numbers(raw):
    with pytest.raises(DomainError) as error:
        card_resolve(raw)
    assert error.value.code == "invalid_card_number"


def test_card_resolve_reports_an_unknown_card():
    number = card_numbers.generate_number(random.Random(9))
    with pytest.raises(DomainError) as error:
        card_resolve(number)
    assert error.value.code == "unknown_card" and error.value.status == 404


def test_reissue_invalidates_the_previous_card(manager):
    household = HouseholdFactory()
    first = card_issue(household=household, actor=manager)
    second = card_reissue(card=first, actor=manager, reason="Carte perdue")
    first.refresh_from_db()
    assert not first.is_active and first.replaced_by == second
    assert card_resolve(second.number) == second
    with pytest.raises(DomainError) as error:
        card_resolve(first.number)
    assert error.value.code == "card_replaced" and error.value.status == 409


def test_a_household_cannot_hold_two_active_cards(manager):
    household = HouseholdFactory()
    card_issue(household=household, actor=manager)
    with pytest.raises(DomainError) as error:
        card_issue(household=household, actor=manager)
    assert error.value.code == "card_already_active"
    assert household.cards.filter(is_active=True).count() == 1


def test_barcodes_render_as_svg_and_png():
    number = card_numbers.generate_number(random.Random(1))
    assert b"<svg" in card_numbers.barcode_svg(number)
    assert card_numbers.barcode_png(number).startswith(b"\x89PNG")
