"""Recording a sale through POST /api/v1/sales/: priced lines, stock, allowance, payments,
idempotency on the client's UUID, and every refusal coded, naming its line, writing nothing."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from beneficiaries.models import AllowanceMonth
from grocery.models import AuditEntry, Payment, Sale, SaleLine, SaleLineLot
from stock.barcodes import with_check_digit
from stock.models import Lot, Movement
from tests.factories.counter import LimitFactory, PricingRuleFactory, make_household
from tests.factories.stock import BarcodeFactory, CategoryFactory, ProductFactory, make_lot

pytestmark = pytest.mark.django_db
URL = "/api/v1/sales/"


def post(api, user, body):
    return api(user).post(URL, body, format="json")


def nothing_written(shop):
    assert Sale.objects.count() == 0
    assert SaleLine.objects.count() == 0
    assert Payment.objects.count() == 0
    assert not Movement.objects.filter(kind="sale").exists()
    assert [lot.quantity_on_hand for lot in Lot.objects.filter(pk__in=[lot.pk for lot in shop.lots])] == [
        Decimal("20")
    ] * len(shop.lots)
    month = AllowanceMonth.objects.filter(household=shop.household).first()
    assert month is None or (month.spent_paid, month.visits) == (Decimal("0"), 0)


def test_it_records_a_sale_and_answers_the_priced_receipt(api, volunteer, shop, sale_body):
    body = sale_body()
    response = post(api, volunteer, body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["id"] == body["id"]
    assert data["receipt_number"] == 1
    assert data["site"] == shop.site.pk
    assert data["household"] == {"display_name": shop.household.display_name}
    first = data["lines"][0]
    assert (first["product"], first["quantity"], first["unit"]) == (shop.products[0].pk, "2.000", "piece")
    assert (first["market_price"], first["rate"], first["line_market_value"]) == ("2.50", "0.200", "5.00")
    assert (first["price_paid"], first["saving"], first["past_best_before"]) == ("1.00", "4.00", False)
    assert first["lots"][0]["lot"] == shop.lots[0].pk
    assert data["totals"] == {"market_value": "7.50", "paid": "1.50", "savings": "6.00"}
    assert data["payments"] == [{"method": "cash", "amount": "5.00"}]
    assert data["change_due"] == "3.50"
    assert data["remaining_allowance"] == "28.50"


def test_it_writes_lines_lots_movements_payments_and_the_allowance(api, volunteer, shop, sale_body):
    body = sale_body()
    post(api, volunteer, body)
    sale = Sale.objects.get()
    assert (sale.paid, sale.market_value, sale.savings, sale.change_due) == (
        Decimal("1.50"),
        Decimal("7.50"),
        Decimal("6.00"),
        Decimal("3.50"),
    )
    assert SaleLine.objects.filter(sale=sale).count() == 2
    assert SaleLineLot.objects.filter(line__sale=sale).count() == 2
    movements = Movement.objects.filter(document_type="sale", document_id=str(sale.pk))
    assert sorted((m.lot_id, m.quantity) for m in movements) == [
        (shop.lots[0].pk, Decimal("-2")),
        (shop.lots[1].pk, Decimal("-1")),
    ]
    shop.lots[0].refresh_from_db()
    assert shop.lots[0].quantity_on_hand == Decimal("18")
    assert list(Payment.objects.values_list("method", "amount")) == [("cash", Decimal("5.00"))]
    month = AllowanceMonth.objects.get(household=shop.household)
    assert (month.spent_paid, month.spent_market, month.visits) == (Decimal("1.50"), Decimal("7.50"), 1)
    assert AuditEntry.objects.filter(action="sale.record", target_id=str(sale.pk)).exists()


def test_receipt_numbers_follow_each_other_per_site(api, volunteer, shop, sale_body):
    numbers = [
        post(api, volunteer, sale_body(lines=[shop.line(0)])).json()["receipt_number"] for _ in range(3)
    ]
    assert numbers == [1, 2, 3]


def test_a_refused_sale_gives_its_receipt_number_back(api, volunteer, shop, sale_body):
    post(api, volunteer, sale_body(lines=[shop.line(0)]))
    assert post(api, volunteer, sale_body(lines=[shop.line(0, 500)])).status_code == 409
    assert post(api, volunteer, sale_body(lines=[shop.line(0)])).json()["receipt_number"] == 2


class TestIdempotency:
    def test_the_same_id_again_records_nothing_and_answers_the_same(self, api, volunteer, shop, sale_body):
        body = sale_body()
        first = post(api, volunteer, body)
        again = post(api, volunteer, body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert Sale.objects.count() == 1
        assert Movement.objects.filter(kind="sale").count() == 2
        assert AllowanceMonth.objects.get(household=shop.household).visits == 1

    def test_a_replay_is_answered_even_once_the_session_is_closed(self, api, volunteer, shop, sale_body):
        from grocery.counter.services import cash_session_close

        body = sale_body(payments=[{"method": "card", "amount": "1.50"}])
        first = post(api, volunteer, body).json()
        cash_session_close(
            session_id=shop.session.pk, closing_count={"20.00": 2, "1.00": 10}, actor=volunteer
        )
        again = post(api, volunteer, body)
        assert again.status_code == 200 and again.json() == first

    def test_the_same_id_with_other_content_is_a_conflict(self, api, volunteer, shop, sale_body):
        body = sale_body()
        post(api, volunteer, body)
        other = dict(body, lines=[shop.line(0, 3)])
        response = post(api, volunteer, other)
        assert response.status_code == 409
        assert response.json()["code"] == "sale_conflict"
        assert Sale.objects.count() == 1

    def test_quantities_written_differently_are_the_same_content(self, api, volunteer, shop, sale_body):
        body = sale_body(lines=[{"barcode": shop.barcodes[0], "quantity": "2"}])
        post(api, volunteer, body)
        same = dict(body, lines=[{"barcode": shop.barcodes[0], "quantity": "2.000"}])
        assert post(api, volunteer, same).status_code == 200


class TestRefusals:
    def refused(self, response, status, code, line=None):
        assert response.status_code == status, response.json()
        data = response.json()
        assert data["code"] == code
        assert data["detail"]
        if line is not None:
            assert data["line"] == line
        return data

    def test_unknown_barcode_names_the_line(self, api, volunteer, shop, sale_body):
        body = sale_body(lines=[shop.line(0), {"barcode": with_check_digit("376999999999"), "quantity": "1"}])
        self.refused(post(api, volunteer, body), 404, "unknown_barcode", line=1)
        nothing_written(shop)

    def test_invalid_barcode(self, api, volunteer, shop, sale_body):
        valid = with_check_digit("376999999999")
        wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
        body = sale_body(lines=[{"barcode": wrong, "quantity": "1"}])
        self.refused(post(api, volunteer, body), 400, "invalid_barcode", line=0)

    @pytest.mark.parametrize("quantity", ["0", "-1", "abc", "1.5"])
    def test_bad_quantities(self, api, volunteer, shop, sale_body, quantity):
        body = sale_body(lines=[shop.line(0), {"barcode": shop.barcodes[1], "quantity": quantity}])
        self.refused(post(api, volunteer, body), 400, "invalid_quantity", line=1)
        nothing_written(shop)

    def test_a_weight_on_a_piece_product(self, api, volunteer, shop, sale_body):
        body = sale_body(lines=[{"barcode": shop.barcodes[0], "weight": "0.450"}])
        self.refused(post(api, volunteer, body), 400, "invalid_quantity", line=0)

    def test_out_of_stock_names_the_line(self, api, volunteer, shop, sale_body):
        body = sale_body(lines=[shop.line(0), shop.line(1, 21)])
        data = self.refused(post(api, volunteer, body), 409, "out_of_stock", line=1)
        assert data["available"] == "20.000"
        nothing_written(shop)

    def test_two_lines_of_one_product_share_its_stock(self, api, volunteer, shop, sale_body):
        body = sale_body(lines=[shop.line(0, 15), shop.line(1), shop.line(0, 6)])
        self.refused(post(api, volunteer, body), 409, "out_of_stock", line=0)

    def test_payments_must_cover_the_total(self, api, volunteer, shop, sale_body):
        body = sale_body(payments=[{"method": "cash", "amount": "1.00"}])
        data = self.refused(post(api, volunteer, body), 400, "payment_insufficient")
        assert "payments" in data["fields"]
        nothing_written(shop)

    def test_no_change_on_a_card_payment(self, api, volunteer, shop, sale_body):
        body = sale_body(payments=[{"method": "card", "amount": "5.00"}])
        self.refused(post(api, volunteer, body), 400, "payment_exceeds_total")

    def test_a_closed_session(self, api, volunteer, shop, sale_body):
        from grocery.counter.services import cash_session_close

        cash_session_close(
            session_id=shop.session.pk, closing_count={"20.00": 2, "1.00": 10}, actor=volunteer
        )
        data = self.refused(post(api, volunteer, sale_body()), 409, "session_closed")
        assert "session" in data["fields"]

    def test_an_unknown_card(self, api, volunteer, shop, sale_body):
        data = self.refused(post(api, volunteer, sale_body(card="0000000000")), 404, "unknown_card")
        assert "card" in data["fields"]

    def test_an_entitlement_that_is_not_active(self, api, volunteer, shop, sale_body):
        shop.entitlement.status = "suspended"
        shop.entitlement.save()
        self.refused(post(api, volunteer, sale_body()), 409, "entitlement_inactive")
        nothing_written(shop)

    def test_a_household_of_another_site(self, api, volunteer, shop, sale_body, other_site):
        _household, card, _entitlement = make_household(site=other_site)
        self.refused(post(api, volunteer, sale_body(card=card.number)), 409, "entitlement_inactive")

    def test_the_allowance_cannot_be_exceeded(self, api, volunteer, site, sale_body, shop):
        shop.entitlement.monthly_allowance = Decimal("1.00")
        shop.entitlement.save()
        data = self.refused(post(api, volunteer, sale_body()), 409, "allowance_exceeded")
        assert (data["remaining"], data["requested"]) == ("1.00", "1.50")
        nothing_written(shop)

    def test_a_monthly_limit_counts_earlier_sales(self, api, volunteer, shop, sale_body):
        LimitFactory(name="Huile", product=shop.products[1], quantity=Decimal("2"))
        assert post(api, volunteer, sale_body(lines=[shop.line(1)])).status_code == 201
        data = self.refused(
            post(api, volunteer, sale_body(lines=[shop.line(0), shop.line(1, 2)])),
            409,
            "limit_exceeded",
            line=1,
        )
        assert (data["allowed"], data["already_taken"], data["requested"]) == ("2.000", "1.000", "2.000")

    def test_a_category_limit_per_visit(self, api, volunteer, shop, sale_body):
        LimitFactory(
            name="Épicerie", category=shop.products[0].category, period="visit", quantity=Decimal("1")
        )
        self.refused(post(api, volunteer, sale_body(lines=[shop.line(0, 2)])), 409, "limit_exceeded", line=0)

    def test_visit_frequency(self, api, volunteer, shop, sale_body):
        from grocery.models import CounterSettings

        settings = CounterSettings.get_solo()
        settings.min_days_between_visits = 7
        settings.save()
        assert post(api, volunteer, sale_body(lines=[shop.line(0)])).status_code == 201
        self.refused(post(api, volunteer, sale_body(lines=[shop.line(0)])), 409, "visit_too_soon")

    def test_only_a_manager_may_override(self, api, volunteer, shop, sale_body):
        body = sale_body(lines=[shop.line(0, 2)], override_reason="Famille nombreuse")
        self.refused(post(api, volunteer, body), 403, "override_not_allowed")

    def test_an_empty_sale(self, api, volunteer, shop, sale_body):
        self.refused(post(api, volunteer, sale_body(lines=[])), 400, "empty_sale")

    def test_a_malformed_body_is_a_400(self, api, volunteer, shop):
        response = post(api, volunteer, {"id": "pas-un-uuid", "lines": "x"})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert {"id", "session", "card", "lines"} <= set(response.json()["fields"])


def test_a_manager_overrides_a_limit_with_a_recorded_reason(api, manager, shop, sale_body):
    LimitFactory(name="Café", product=shop.products[0], quantity=Decimal("1"))
    body = sale_body(lines=[shop.line(0, 2)], override_reason="Naissance dans le foyer")
    response = post(api, manager, body)
    assert response.status_code == 201, response.json()
    assert response.json()["overrides"][0]["code"] == "limit_exceeded"
    sale = Sale.objects.get()
    assert (sale.override_reason, sale.overridden_by) == ("Naissance dans le foyer", manager)
    entry = AuditEntry.objects.get(action="sale.record")
    assert entry.data["override_reason"] == "Naissance dans le foyer"


def test_a_manager_may_let_the_allowance_overrun(api, manager, shop, sale_body):
    shop.entitlement.monthly_allowance = Decimal("1.00")
    shop.entitlement.save()
    response = post(api, manager, sale_body(override_reason="Situation d'urgence"))
    assert response.status_code == 201
    assert response.json()["remaining_allowance"] == "-0.50"


class TestPricing:
    def test_fead_goods_go_through_at_zero(self, api, volunteer, shop, sale_body):
        product = ProductFactory(name="Lait FEAD", market_price=Decimal("0.95"))
        code = BarcodeFactory(product=product).code
        make_lot(product=product, location=shop.location, quantity="10", origin="fead")
        body = sale_body(
            lines=[{"barcode": code, "quantity": "3"}, shop.line(0)],
            payments=[{"method": "cash", "amount": "0.50"}],
        )
        data = post(api, volunteer, body).json()
        fead = data["lines"][0]
        assert (fead["price_paid"], fead["rate"], fead["line_market_value"], fead["saving"]) == (
            "0.00",
            "0.000",
            "2.85",
            "2.85",
        )
        assert data["totals"] == {"market_value": "5.35", "paid": "0.50", "savings": "4.85"}

    def test_given_free_categories_are_never_charged(self, api, volunteer, shop, sale_body):
        category = CategoryFactory(name="Aide européenne", given_free=True)
        product = ProductFactory(name="Riz", category=category, market_price=Decimal("1.10"))
        code = BarcodeFactory(product=product).code
        make_lot(product=product, location=shop.location, quantity="10", origin="purchase")
        data = post(api, volunteer, sale_body(lines=[{"barcode": code, "quantity": "1"}], payments=[])).json()
        assert data["totals"]["paid"] == "0.00"

    def test_food_bank_goods_at_most_ten_percent(self, api, volunteer, site, sale_body, shop):
        product = ProductFactory(name="Conserve BA", market_price=Decimal("3.125"[:4]))
        code = BarcodeFactory(product=product).code
        make_lot(product=product, location=shop.location, quantity="10", origin="food_bank")
        data = post(
            api,
            volunteer,
            sale_body(
                lines=[{"barcode": code, "quantity": "1"}], payments=[{"method": "cash", "amount": "1.00"}]
            ),
        ).json()
        assert (data["lines"][0]["rate"], data["lines"][0]["price_paid"]) == ("0.100", "0.31")

    def test_a_category_rule_sets_the_rate(self, api, volunteer, shop, sale_body):
        PricingRuleFactory(category=shop.products[0].category, rate=Decimal("0.300"))
        data = post(
            api, volunteer, sale_body(lines=[shop.line(0)], payments=[{"method": "cash", "amount": "1.00"}])
        ).json()
        assert (data["lines"][0]["rate"], data["lines"][0]["price_paid"]) == ("0.300", "0.75")

    def test_a_weighed_line_is_rounded_half_up(self, api, volunteer, shop, sale_body):
        product = ProductFactory(name="Pommes", unit="kg", market_price=Decimal("2.99"))
        code = BarcodeFactory(product=product).code
        make_lot(product=product, location=shop.location, quantity="10", origin="purchase")
        data = post(
            api,
            volunteer,
            sale_body(
                lines=[{"barcode": code, "weight": "1.250"}], payments=[{"method": "cash", "amount": "1.00"}]
            ),
        ).json()
        # 1.250 × 2.99 = 3.7375 → 3.74; × 0.2 = 0.7475 → 0.75
        assert (data["lines"][0]["line_market_value"], data["lines"][0]["price_paid"]) == ("3.74", "0.75")

    def test_past_best_before_goods_are_marked_and_past_use_by_never_sold(
        self, api, volunteer, shop, sale_body
    ):
        product = ProductFactory(name="Biscuits", market_price=Decimal("1.00"))
        code = BarcodeFactory(product=product).code
        today = timezone.localdate()
        make_lot(
            product=product,
            location=shop.location,
            quantity="1",
            origin="purchase",
            use_by=today - datetime.timedelta(days=1),
            lot_number="DLC",
        )
        ddm = make_lot(
            product=product,
            location=shop.location,
            quantity="2",
            origin="purchase",
            best_before=today - datetime.timedelta(days=5),
            lot_number="DDM",
        )
        data = post(
            api,
            volunteer,
            sale_body(
                lines=[{"barcode": code, "quantity": "2"}], payments=[{"method": "cash", "amount": "1.00"}]
            ),
        ).json()
        line = data["lines"][0]
        assert line["past_best_before"] is True
        assert [lot["lot"] for lot in line["lots"]] == [ddm.pk]
        body = sale_body(lines=[{"barcode": code, "quantity": "1"}])
        assert post(api, volunteer, body).json()["code"] == "out_of_stock"


def test_sold_at_is_kept_for_an_offline_sale(api, volunteer, shop, sale_body):
    sold_at = timezone.now() - datetime.timedelta(minutes=20)
    response = post(api, volunteer, sale_body(sold_at=sold_at.isoformat()))
    assert response.status_code == 201
    assert Sale.objects.get().sold_at == sold_at.replace(microsecond=sold_at.microsecond)


def test_roles_without_the_till_cannot_sell(api, ccas, partner_user, shop, sale_body):
    for user in (ccas, partner_user):
        assert post(api, user, sale_body()).status_code == 403
    assert post(api, None, sale_body()).status_code in (401, 403)


def test_a_sale_runs_a_bounded_number_of_queries(api, volunteer, site, django_assert_max_num_queries):
    """A constant number of queries, whatever the number of lines: lots are allocated for all
    products by one statement, and every write is a bulk one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from beneficiaries.models import BeneficiarySettings
    from grocery.models import CounterSettings
    from stock.models import StockSettings
    from tests.factories.counter import make_shop

    for singleton in (BeneficiarySettings, CounterSettings, StockSettings):  # as in a running shop
        singleton.get_solo()

    shop = make_shop(site=site, volunteer=volunteer, products=10, market_price="1.00")
    LimitFactory(name="Produit 0", product=shop.products[0], quantity=Decimal("5"))
    client = api(volunteer)

    def body(lines):
        return {
            "id": str(uuid.uuid4()),
            "session": shop.session.pk,
            "card": shop.card.number,
            "lines": lines,
            "payments": [{"method": "cash", "amount": "2.00"}],
        }

    ten_lines = body([shop.line(index) for index in range(10)])
    with django_assert_max_num_queries(QUERIES_MAX):  # the household's first sale of the month
        response = client.post(URL, ten_lines, format="json")
    assert response.status_code == 201, response.json()
    with CaptureQueriesContext(connection) as one_line:
        assert client.post(URL, body([shop.line(0)]), format="json").status_code == 201
    with django_assert_max_num_queries(len(one_line.captured_queries)):
        assert client.post(URL, body([shop.line(i) for i in range(10)]), format="json").status_code == 201
    with django_assert_max_num_queries(QUERIES_MAX):  # a replay runs the same path, then answers
        assert client.post(URL, ten_lines, format="json").status_code == 200


#: Queries of a sale (with a limit to check), including the creation of the household's month
#: row on its first sale of the month and the savepoints of the functions it calls.
QUERIES_MAX = 28
