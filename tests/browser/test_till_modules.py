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
        const rice = {id: 1, unit: "piece", marketPrice: 235};
        const apples = {id: 2, unit: "kg", marketPrice: 299};
        return [
            sale.priceLine(rice, 3000, 200), sale.priceLine(apples, 450, 100), sale.priceLine(rice, 1000, 0),
        ];
        """
    )
    assert prices == [
        {"marketValue": 705, "paid": 141, "saving": 564, "rateMilli": 200},
        # 1.3455 -> 1.35 and 0.13455 -> 0.13: each rounded once from the exact amount
        {"marketValue": 135, "paid": 13, "saving": 122, "rateMilli": 100},
        {"marketValue": 235, "paid": 0, "saving": 235, "rateMilli": 0},
    ]


def test_the_rate_follows_the_counter_pricing_rules(modules):
    rates = modules(
        """
        const rules = [
            {categoryId: 7, origin: "", ceiling: false, rateMilli: 300},
            {categoryId: null, origin: "store_pickup", ceiling: false, rateMilli: 150},
            {categoryId: 9, origin: "", ceiling: true, rateMilli: 50},
        ];
        const ceilings = {food_bank: 100, pnaa: 200};
        const rate = (product) => sale.rateFor({baseRateMilli: 200, product, rules, ceilings});
        return [
            rate({categoryId: 1, origin: "purchase"}),         // the household's rate
            rate({categoryId: 7, origin: "store_pickup"}),     // category beats origin
            rate({categoryId: 1, origin: "store_pickup"}),     // origin rule
            rate({categoryId: 1, origin: "food_bank"}),        // statutory ceiling
            rate({categoryId: 7, origin: "food_bank"}),        // a fixed rule is still capped
            rate({categoryId: 9, origin: "purchase"}),         // ceiling rule
            rate({categoryId: 1, origin: "fead"}),             // FEAD: free
            rate({categoryId: 1, origin: "purchase", givenFree: true}),
        ];
        """
    )
    assert rates == [200, 300, 150, 100, 100, 50, 0, 0]


def test_scanning_twice_adds_up_and_undo_takes_back_the_last_scan(modules):
    result = modules(
        """
        const household = {
            card: "8000000007", basis: "paid", remainingCents: 500, allowanceCents: 3000, limits: [],
        };
        const s = new sale.Sale({...household, rateMilli: 200});
        const rice = {id: 1, name: "Riz", unit: "piece", marketPrice: 235};
        const oil = {id: 2, name: "Huile", unit: "piece", marketPrice: 1000};
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
