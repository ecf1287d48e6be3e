"""The scanner test page and the burst detection the till relies on (AZERTY included)."""
import pytest

from tests.browser.conftest import azerty_scan, scan, type_slowly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_scanner_test(browser_page, user):
    page = browser_page(user)
    page.goto("/caisse/test-scanner/")
    page.wait_for_selector("body[data-ready='1']")
    return page


def test_a_scan_is_shown_with_its_enter_suffix(browser_page, volunteer, screenshot):
    page = open_scanner_test(browser_page, volunteer)
    scan(page, "3017620422003")
    assert page.text_content("#scan-code") == "3017620422003"
    assert "Entrée" in page.text_content("#scan-suffix")
    assert "EAN-13 (clé de contrôle correcte)" in page.text_content("#scan-kind")
    assert page.get_attribute("body", "data-signal") == "ok"
    screenshot(page, "scanner-test")
    assert page.console_errors == []


def test_an_azerty_scan_gives_digits(browser_page, volunteer):
    page = open_scanner_test(browser_page, volunteer)
    azerty_scan(page, "3017620422003")
    page.wait_for_function("document.querySelector('#scan-code').textContent !== '—'")
    assert page.text_content("#scan-code") == "3017620422003"
    assert "AZERTY" in page.text_content("#scan-layout")


def test_a_scan_into_a_focused_box_is_taken_back_from_it(browser_page, volunteer):
    """A box that has the focus never swallows a scan, and the Enter submits nothing."""
    page = open_scanner_test(browser_page, volunteer)
    page.click("#scan-try")
    type_slowly(page, "ab")
    azerty_scan(page, "96385274")
    page.wait_for_function("document.querySelector('#scan-code').textContent === '96385274'")
    assert page.input_value("#scan-try") == "ab"


def test_a_scanner_without_enter_suffix_is_reported(browser_page, volunteer):
    page = open_scanner_test(browser_page, volunteer)
    page.keyboard.type("40000000")  # no Enter
    page.wait_for_selector("#scan-verdict:not([hidden])")
    assert "ne se termine pas par Entrée" in page.text_content("#scan-verdict")
    assert page.text_content("#scan-suffix") == "aucun"


def test_typing_by_hand_is_not_a_scan(browser_page, volunteer):
    page = open_scanner_test(browser_page, volunteer)
    page.click("#scan-try")
    type_slowly(page, "12345678")
    page.keyboard.press("Enter")
    page.wait_for_timeout(100)
    assert page.text_content("#scan-code") == "—"
    assert page.input_value("#scan-try") == "12345678"
