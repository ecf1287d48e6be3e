"""The till's JavaScript modules on their own, run in the browser: money and quantities in
integers, the one rounding rule, the sale's lines, undo and allowance check, the UUID."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def modules(browser_page, volunteer):
    page = browser_page(volunteer)
    page.goto("/caisse/test-scanner/")
    page.wait_for_selector("body[data-ready='1']")

    def run(script: str):
        return page.evaluate(
            f"""async () => {{
                const sale = await import("/static/frontend/till/sale.js");
                const scanner = await import("/static/frontend/till/scanner.js");
                {script}
            }}"""
        )

    return run


def test_decimals_are_parsed_to_integers_with_half_up_rounding(modules):
    assert modules(
        """return ["2.35", "2,35", "0.450", "1", "0.005", "abc", ""]
            .map((v) => sale.parseDecimal(v, 2)).map((n) => (Number.isNaN(n) ? "NaN" : n))"""
    ) == [235, 235, 45, 100, 1, "NaN", "NaN"]
    assert modules('return sale.parseDecimal("0.4505", 3)') == 451
    strings = modules("return [[235, 2], [450, 3], [5, 2]].map(([n, p]) => sale.toDecimalString(n, p))")
    assert strings == ["2.35", "0.450", "0.05"]


def test_a_line_is_priced_at_the_participation_rate_of_its_market_value(modules):
    prices = modules(
        """
        const rice = {id: 1, unit: "piece", marketPrice: 235, rateMilli: 200, givenFree: false};
        const apples = {id: 2, unit: "kg", marketPrice: 299, rateMilli: 100, givenFree: false};
        const fead = {id: 3, unit: "piece", marketPrice: 180, rateMilli: 200, givenFree: true};
        return [sale.priceLine(rice, 3000), sale.priceLine(apples, 450), sale.priceLine(fead, 1000)];
        """
    )
    assert prices == [
        {"marketValue": 705, "paid": 141, "saving": 564},
        {"marketValue": 135, "paid": 14, "saving": 121},  # 1.3455 -> 1.35; 0.135 -> 0.14
        {"marketValue": 180, "paid": 0, "saving": 180},  # FEAD goods: counted, never charged
    ]


def test_scanning_twice_adds_up_and_undo_takes_back_the_last_scan(modules):
    result = modules(
        """
        const household = {
            card: "8000000007", basis: "paid", remainingCents: 500, allowanceCents: 3000, limits: [],
        };
        const s = new sale.Sale(household);
        const rice = {id: 1, name: "Riz", unit: "piece", marketPrice: 235, rateMilli: 200};
        const oil = {id: 2, name: "Huile", unit: "piece", marketPrice: 1000, rateMilli: 200};
        s.add(rice); s.add(rice); s.add(oil);
        const before = s.lines.map((l) => [l.product.name, l.quantityMilli]);
        s.undo();
        const afterUndo = s.lines.map((l) => [l.product.name, l.quantityMilli]);
        s.undo();
        const afterSecondUndo = s.lines.map((l) => [l.product.name, l.quantityMilli]);
        s.add(oil); s.add(oil); s.add(oil);
        const over = s.allowance();
        const body = s.toRequest({session: 4, payments: [{method: "cash", amount: 1000}]});
        return {before, afterUndo, afterSecondUndo, over, body, uuid: /^[0-9a-f-]{36}$/.test(s.id)};
        """
    )
    assert result["before"] == [["Riz", 2000], ["Huile", 1000]]
    assert result["afterUndo"] == [["Riz", 2000]]
    assert result["afterSecondUndo"] == [["Riz", 1000]]
    # 0.47 + 3 × 2.00 = 6.47 paid against 5.00 remaining
    assert result["over"] == {"state": "over", "remainingAfter": -147, "over": 147}
    assert result["body"]["lines"] == [{"product": 1, "quantity": "1"}, {"product": 2, "quantity": "3"}]
    assert result["body"]["payments"] == [{"method": "cash", "amount": "10.00"}]
    assert result["body"]["card"] == "8000000007" and result["uuid"]


def test_the_uuid_fallback_works_without_a_secure_context(modules):
    uuid = modules(
        """
        const original = crypto.randomUUID;
        Object.defineProperty(crypto, "randomUUID", {value: undefined, configurable: true});
        const id = sale.newUuid();
        Object.defineProperty(crypto, "randomUUID", {value: original, configurable: true});
        return id;
        """
    )
    assert len(uuid) == 36 and uuid[14] == "4" and uuid[19] in "89ab"


def test_digits_are_read_from_the_physical_key(modules):
    chars = modules(
        """
        return [
            {key: "&", code: "Digit1"}, {key: "é", code: "Digit2"}, {key: "à", code: "Digit0"},
            {key: "7", code: "Numpad7"}, {key: "A", code: "KeyQ"}, {key: "Shift", code: "ShiftLeft"},
        ].map((e) => scanner.charFromEvent(e));
        """
    )
    assert chars == ["1", "2", "0", "7", "A", None]
