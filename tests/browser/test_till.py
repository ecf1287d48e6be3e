"""The till in a real browser against the real API: a whole sale with the keyboard alone, the
allowance warning, an unknown barcode, an AZERTY scanner, going offline mid-sale, and closing
the till. Screenshots of the main steps go to docs/screenshots/ (shown in the README)."""
import datetime
import json
import re
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from grocery.models import CashSession, Sale
from tests.browser import world as world_module
from tests.browser.conftest import azerty_scan, scan, type_slowly
from tests.factories.beneficiaries import CardFactory, EntitlementFactory, HouseholdFactory
from tests.factories.counter import LimitFactory, TillFactory, open_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(site):
    return world_module.build(site)


@pytest.fixture
def session(world, volunteer):
    """A session opened the way the till opens it (the counter's service): 25 € of float."""
    return open_session(till=world.till, opened_by=volunteer, opening_count={"20.00": 1, "1.00": 5})


def till_page(browser_page, user):
    page = browser_page(user)
    page.goto("/caisse/")
    page.wait_for_selector("body[data-ready='1']")
    return page


def signals(page) -> int:
    return int(page.get_attribute("body", "data-signal-count") or 0)


def wait_signal(page, before: int, kind: str):
    page.wait_for_function(f"Number(document.body.dataset.signalCount || 0) > {before}")
    assert page.get_attribute("body", "data-signal") == kind


def line_names(page) -> list[str]:
    return page.locator("#lines tr[data-key] .product-name").all_inner_texts()


def test_opening_the_till_with_the_counted_float(browser_page, world, volunteer, screenshot):
    page = till_page(browser_page, volunteer)
    assert page.is_visible("#open-form")
    page.fill("input[data-denomination='20.00']", "2")
    page.fill("input[data-denomination='0.50']", "4")
    assert page.text_content("#open-total") == "42,00\u00a0€"
    screenshot(page, "till-1-open")
    page.click("#open-submit")
    page.wait_for_selector("#household.household-empty")
    session = CashSession.objects.get(till=world.till)
    assert session.is_open and session.opening_total == 42
    assert session.opening_count == {"20.00": 2, "0.50": 4}
    assert page.console_errors == []


def test_a_whole_sale_with_the_keyboard_only(browser_page, world, volunteer, session, screenshot):
    page = till_page(browser_page, volunteer)
    card = world.cards["martin"].number
    scan(page, card)
    page.wait_for_selector("#household-name")
    assert page.text_content("#household-name") == "Famille Martin"
    assert page.text_content("#remaining") == "30,00\u00a0€"
    screenshot(page, "till-2-household")

    scan(page, world.barcodes["riz"])
    scan(page, world.barcodes["riz"])
    scan(page, world.barcodes["huile"])
    scan(page, world.barcodes["pommes"])
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('qty-input')")
    type_slowly(page, "0,450")  # the weight of the apples, typed
    page.keyboard.press("Enter")
    scan(page, world.barcodes["lait"])  # FEAD: free
    page.wait_for_function("document.querySelectorAll('#lines tr[data-key]').length === 4")
    assert line_names(page) == ["Riz long 1 kg", "Huile de tournesol 1 l", "Pommes", "Lait demi-écrémé 1 l"]
    assert page.locator("#lines tr[data-key] .free").count() == 1
    # 2 × 2.35 + 3.50 + 0.450 × 2.99 (1.3455) + 1.05 = 10.5955 market; 20 % except FEAD (free) and
    # the store pickup apples: 9.5455 × 0.2 = 1.9091 -> 1.91
    assert page.text_content("#total-market") == "10,60\u00a0€"
    assert page.text_content("#total-paid") == "1,91\u00a0€"
    assert page.text_content("#remaining-after") == "28,09\u00a0€"
    screenshot(page, "till-3-lines")

    page.keyboard.press("Control+z")  # undo the last scan: the milk
    page.wait_for_function("document.querySelectorAll('#lines tr[data-key]').length === 3")
    page.keyboard.press("F4")
    page.wait_for_selector("dialog.payment")
    type_slowly(page, "5")
    assert page.text_content("#change-due") == "3,09\u00a0€"
    screenshot(page, "till-4-payment")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt h2")
    screenshot(page, "till-5-receipt")

    sale = Sale.objects.get()
    assert page.text_content("#receipt h2") == f"Ticket n° {sale.receipt_number}"
    assert str(sale.paid) == "1.91"
    assert page.text_content("#receipt-change") == "3,09\u00a0€"
    assert [str(line.quantity) for line in sale.lines.order_by("position")] == ["2.000", "1.000", "0.450"]
    # Next household: Enter on the receipt screen.
    page.keyboard.press("Enter")
    page.wait_for_selector("#household.household-empty")
    assert page.console_errors == []


def test_an_allowance_refusal_is_shown_before_payment(browser_page, world, volunteer, session, screenshot):
    page = till_page(browser_page, volunteer)
    posted = []
    page.on("request", lambda r: r.method == "POST" and "/api/v1/sales/" in r.url and posted.append(r))
    scan(page, world.cards["petit"].number)  # 2.00 € a month
    page.wait_for_selector("#household-name")
    before = signals(page)
    scan(page, world.barcodes["huile"])  # 0.70 €
    wait_signal(page, before, "ok")
    # Close to the limit: a warning already, before anything is exceeded.
    warning = "Attention : il ne restera que 1,30\u00a0€ sur le montant autorisé."
    assert page.text_content("#allowance-warning") == warning
    assert page.is_enabled("#pay")
    before = signals(page)
    for _ in range(2):
        scan(page, world.barcodes["huile"])  # 2.10 € in all
    page.wait_for_function("document.querySelector('#remaining-after').textContent.startsWith('-')")
    assert page.get_attribute("body", "data-signal") == "warn"
    warning = page.text_content("#allowance-warning")
    assert "Dépassement du montant autorisé de 0,10\u00a0€" in warning
    screenshot(page, "till-6-allowance-warning")
    assert page.is_disabled("#pay")
    page.keyboard.press("F4")
    assert "appelez le responsable" in page.text_content("#notice")
    assert not page.is_visible("dialog.payment")
    assert posted == [] and Sale.objects.count() == 0
    # Taking one bottle back makes the sale possible.
    page.keyboard.press("Control+z")
    page.wait_for_function("!document.querySelector('#remaining-after').textContent.startsWith('-')")
    assert page.is_enabled("#pay")


def test_an_unknown_barcode_is_refused_with_an_error_signal(browser_page, world, volunteer, session):
    page = till_page(browser_page, volunteer)
    scan(page, world.cards["martin"].number)
    page.wait_for_selector("#household-name")
    before = signals(page)
    scan(page, "3560070048786")  # a valid EAN-13 that is not in the catalogue
    wait_signal(page, before, "error")
    assert "Code-barres inconnu : 3560070048786" in page.text_content("#notice")
    assert line_names(page) == []


def test_an_azerty_scanner_gives_digits_even_into_a_focused_box(browser_page, world, volunteer, session):
    page = till_page(browser_page, volunteer)
    azerty_scan(page, world.cards["martin"].number)
    page.wait_for_selector("#household-name")
    # The manual entry box has the focus: the scan must not end up in it, nor submit it.
    page.click("#manual-code-input")
    azerty_scan(page, world.barcodes["riz"])
    page.wait_for_function("document.querySelectorAll('#lines tr[data-key]').length === 1")
    assert line_names(page) == ["Riz long 1 kg"]
    assert page.input_value("#manual-code-input") == ""
    assert page.text_content("#notice") in ("", None) or "inconnu" not in page.text_content("#notice")


def _badge(page) -> str:
    return page.text_content("#connection")


def test_offline_mid_sale_then_both_sales_recorded_exactly_once(
    browser_page, world, volunteer, session, screenshot
):
    page = till_page(browser_page, volunteer)
    # Earlier this morning the Bernard household came by: its card is known to this till.
    scan(page, world.cards["bernard"].number)
    page.wait_for_selector("#household-name")
    page.keyboard.press("F8")
    page.wait_for_selector("#household.household-empty")

    scan(page, world.cards["martin"].number)
    page.wait_for_selector("#household-name")
    scan(page, world.barcodes["riz"])
    page.wait_for_function("document.querySelectorAll('#lines tr[data-key]').length === 1")

    # The network drops mid-sale. The first sale's POST even reaches the server, which records
    # it, but the answer is lost on the way back: the till must not count it twice.
    state = {"first": True}

    def lossy(route):
        if state["first"] and route.request.method == "POST" and route.request.url.endswith("/api/v1/sales/"):
            state["first"] = False
            route.fetch()  # the server records the sale…
        route.abort("internetdisconnected")  # …and the till never hears back

    page.route("**/api/**", lossy)
    scan(page, world.barcodes["huile"])
    page.keyboard.press("F4")
    page.wait_for_selector("dialog.payment")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Ticket provisoire (hors ligne)")
    assert _badge(page) == "Hors ligne — 1 vente en attente"
    assert Sale.objects.count() == 1  # recorded by the server, unknown to the till

    page.keyboard.press("Enter")  # next household
    scan(page, world.cards["bernard"].number)
    page.wait_for_selector("#household-name")
    assert page.text_content("#household-name") == "Famille Bernard"
    scan(page, world.barcodes["pates"])
    scan(page, world.barcodes["pates"])
    page.wait_for_function("document.querySelectorAll('#lines tr[data-key]').length === 1")
    page.keyboard.press("F4")
    page.wait_for_selector("dialog.payment")
    page.keyboard.press("c")  # card payment
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Ticket provisoire (hors ligne)")
    assert _badge(page) == "Hors ligne — 2 ventes en attente"
    screenshot(page, "till-7-offline")

    # Closing is refused while sales wait in the queue.
    page.keyboard.press("Enter")
    page.click("#close-session")
    page.wait_for_function("document.querySelector('#notice').textContent.startsWith('Fermeture impossible')")
    assert "Fermeture impossible : 2 ventes hors ligne en attente" in page.text_content("#notice")
    assert not page.is_visible("dialog.close")
    assert CashSession.objects.get().is_open

    queued = page.evaluate(
        """async () => { const {db} = await import('/static/frontend/till/offline.js');
        return (await db.all('queue')).map((e) => e.id); }"""
    )
    assert len(queued) == 2

    # The network comes back: the queue replays by itself.
    page.unroute("**/api/**")
    page.wait_for_function("document.querySelector('#connection').textContent === 'En ligne'", timeout=20_000)
    sales = Sale.objects.order_by("receipt_number")
    assert sorted(str(sale.id) for sale in sales) == sorted(queued)
    assert [sale.household.display_name for sale in sales] == ["Famille Martin", "Famille Bernard"]
    assert [len(sale.lines.all()) for sale in sales] == [2, 1]
    assert page.console_errors == [] or all("ERR_INTERNET_DISCONNECTED" in e or "Failed to load" in e
                                            for e in page.console_errors)


def test_closing_the_till_sends_the_count_and_shows_the_z_report(
    browser_page, world, volunteer, session, screenshot
):
    page = till_page(browser_page, volunteer)
    scan(page, world.cards["martin"].number)
    page.wait_for_selector("#household-name")
    scan(page, world.barcodes["riz"])
    page.keyboard.press("F4")
    page.wait_for_selector("dialog.payment")
    type_slowly(page, "1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt h2")
    page.keyboard.press("Enter")

    bodies = []
    page.on("request", lambda r: "/close/" in r.url and bodies.append(json.loads(r.post_data)))
    page.click("#close-session")
    page.wait_for_selector("dialog.close")
    page.fill("dialog.close input[data-denomination='20.00']", "1")
    page.fill("dialog.close input[data-denomination='1.00']", "5")
    page.fill("dialog.close input[data-denomination='0.20']", "2")
    page.fill("dialog.close input[data-denomination='0.05']", "1")
    page.fill("dialog.close input[data-denomination='0.02']", "1")
    screenshot(page, "till-8-close")
    page.click("dialog.close button[type=submit]")
    page.wait_for_selector("#zreport h2")
    screenshot(page, "till-9-z-report")
    assert bodies == [{"closing_count": {"20.00": 1, "1.00": 5, "0.20": 2, "0.05": 1, "0.02": 1},
                       "pending_offline_sales": 0}]
    session = CashSession.objects.get()
    assert not session.is_open and str(session.difference) == "0.00"
    assert re.search(r"Rapport Z", page.text_content("#zreport h2"))


def test_a_sale_refused_on_replay_is_kept_for_the_manager(browser_page, world, manager, api, screenshot):
    """Offline, the till sells to a household that meanwhile spends its allowance at another
    till: the replay is refused, the sale is kept as a conflict, and the manager records it with
    a derogation."""
    open_session(till=world.till, opened_by=manager)
    page = till_page(browser_page, manager)
    card = world.cards["petit"].number  # 2.00 € a month
    scan(page, card)
    page.wait_for_selector("#household-name")
    scan(page, world.barcodes["huile"])  # 0.70 €
    page.wait_for_function("document.querySelectorAll('#lines tr[data-key]').length === 1")
    page.route("**/api/**", lambda route: route.abort("internetdisconnected"))
    page.keyboard.press("F4")
    page.wait_for_selector("dialog.payment")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Ticket provisoire (hors ligne)")

    # Meanwhile, at the other till: 3 × 0.47 € of rice, 0.59 € left.
    other = open_session(till=TillFactory(site=world.site, name="Caisse 2"), opened_by=manager)
    answer = api(manager).post(
        "/api/v1/sales/",
        {"id": str(uuid.uuid4()), "session": other.pk, "card": card,
         "lines": [{"barcode": world.barcodes["riz"], "quantity": "3"}],
         "payments": [{"method": "cash", "amount": "1.41"}]},
        format="json",
    )
    assert answer.status_code == 201

    page.unroute("**/api/**")
    page.wait_for_selector("#conflicts-button:not([hidden])", timeout=20_000)
    assert page.text_content("#conflicts-button") == "1 vente refusée à régler"
    assert Sale.objects.count() == 1
    kept = page.evaluate(
        """async () => { const {db} = await import('/static/frontend/till/offline.js');
        return [(await db.all('queue')).length, (await db.all('conflicts')).map((c) => c.error.code)]; }"""
    )
    assert kept == [0, ["allowance_exceeded"]]

    page.click("#conflicts-button")
    page.wait_for_selector("dialog.conflicts-dialog")
    assert "Famille Petit" in page.text_content("dialog.conflicts-dialog")
    screenshot(page, "till-10-conflict")
    page.click("dialog.conflicts-dialog >> text=Renvoyer avec dérogation")
    page.fill("dialog #reason", "Accord du responsable : dépannage exceptionnel")
    page.click("dialog >> text=Valider")
    page.wait_for_function("document.querySelector('#notice').textContent.startsWith('Vente enregistrée')")
    assert page.is_hidden("#conflicts-button")
    recorded = Sale.objects.exclude(session=other).get()
    assert recorded.override_reason == "Accord du responsable : dépannage exceptionnel"
    # The conflict stays in the browser, settled: recorded under its own id.
    settled = page.evaluate(
        """async () => { const {db} = await import('/static/frontend/till/offline.js');
        return (await db.all('conflicts')).map((c) => [c.id, c.resolution.kind]); }"""
    )
    assert settled == [[str(recorded.id), "recorded"]]


def test_a_household_found_by_name(browser_page, world, volunteer, session):
    page = till_page(browser_page, volunteer)
    page.keyboard.press("F2")
    page.wait_for_selector("#search-query")
    type_slowly(page, "bern")
    page.wait_for_selector(".search-results button.result")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#household-name")
    assert page.text_content("#household-name") == "Famille Bernard"


def test_the_till_reopens_offline_after_a_reload(browser_page, world, volunteer, session):
    """The service worker keeps the page; IndexedDB keeps the catalogue and the households."""
    page = browser_page(volunteer, service_workers="allow")
    page.goto("/caisse/")
    page.wait_for_selector("body[data-ready='1']")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, which keeps what it serves
    page.wait_for_selector("body[data-ready='1']")
    scan(page, world.cards["martin"].number)
    page.wait_for_selector("#household-name")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert _badge(page) == "Hors ligne — 0 vente en attente"
    scan(page, world.cards["martin"].number)
    page.wait_for_selector("#household-name")
    scan(page, world.barcodes["riz"])
    page.wait_for_function("document.querySelectorAll('#lines tr[data-key]').length === 1")
    assert page.text_content("#total-paid") == "0,47\u00a0€"
    page.context.set_offline(False)


def test_a_household_without_a_valid_entitlement_is_stopped(browser_page, world, volunteer, session):
    household = HouseholdFactory(display_name="Famille Lemoine")
    started = timezone.localdate() - datetime.timedelta(days=120)
    EntitlementFactory(
        household=household, sites=[world.site], start=started,
        end=started + datetime.timedelta(days=89), status="ended",
    )
    card = CardFactory(household=household)
    page = till_page(browser_page, volunteer)
    before = signals(page)
    scan(page, card.number)
    page.wait_for_selector("#household.household-bad")
    wait_signal(page, before, "error")
    assert "Droit d'accès terminé" in page.text_content("#household")
    assert page.is_disabled("#pay")
    before = signals(page)
    scan(page, world.barcodes["riz"])
    wait_signal(page, before, "error")
    assert line_names(page) == []


def test_a_till_opened_from_another_device_is_carried_on(browser_page, world, volunteer):
    page = till_page(browser_page, volunteer)
    assert page.is_visible("#open-form")
    elsewhere = open_session(till=world.till, opened_by=volunteer)  # the other tablet, meanwhile
    page.fill("input[data-denomination='20.00']", "1")
    page.click("#open-submit")
    page.wait_for_selector("#household.household-empty")
    assert "déjà ouverte" in page.text_content("#notice")
    assert page.text_content("#till-label") == f"Caisse 1 · session n° {elsewhere.pk}"
    assert CashSession.objects.count() == 1


def test_a_limit_is_shown_and_warned_before_payment(browser_page, world, volunteer, session, screenshot):
    LimitFactory(name="Huile", product=world.products["huile"], quantity=Decimal("1"))
    page = till_page(browser_page, volunteer)
    scan(page, world.cards["martin"].number)
    page.wait_for_selector("#household-name")
    assert "Huile : encore 1 ce mois-ci" in page.text_content("#household .limits")
    before = signals(page)
    scan(page, world.barcodes["huile"])
    wait_signal(page, before, "ok")
    before = signals(page)
    scan(page, world.barcodes["huile"])
    wait_signal(page, before, "warn")
    assert "Limite dépassée pour Huile" in page.text_content("#allowance-warning")
    assert page.is_disabled("#pay")
    screenshot(page, "till-11-limit")


def test_a_sale_made_after_the_sign_in_expired_is_kept_and_sent_later(
    browser_page, world, volunteer, session, live_server
):
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.test import Client

    page = till_page(browser_page, volunteer)
    scan(page, world.cards["martin"].number)
    page.wait_for_selector("#household-name")
    scan(page, world.barcodes["riz"])
    page.wait_for_function("document.querySelectorAll('#lines tr[data-key]').length === 1")
    Session.objects.all().delete()  # the sign-in expires during the sale
    page.keyboard.press("F4")
    page.wait_for_selector("dialog.payment")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Ticket provisoire (hors ligne)")
    assert "reconnectez-vous" in page.text_content("#notice")
    assert Sale.objects.count() == 0

    client = Client()
    client.force_login(volunteer)  # signed in again
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": cookie, "url": live_server.url}])
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("document.querySelector('#connection').textContent === 'En ligne'")
    sale = Sale.objects.get()
    assert sale.household.display_name == "Famille Martin" and str(sale.paid) == "0.47"
