"""Refunds: some or all lines, with a reason, by a manager; goods back to stock or to waste by
movements; the allowance of the sale's month restored; never more than was sold."""

import uuid
from decimal import Decimal

import pytest

from beneficiaries.models import AllowanceMonth
from grocery.models import AuditEntry, Refund, SaleLine
from stock.models import Lot, Movement

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale(api, volunteer, shop):
    body = {
        "id": str(uuid.uuid4()),
        "session": shop.session.pk,
        "card": shop.card.number,
        "lines": [shop.line(0, 3), shop.line(1, 1)],
        "payments": [{"method": "cash", "amount": "2.00"}],
    }
    response = api(volunteer).post("/api/v1/sales/", body, format="json")
    assert response.status_code == 201
    return response.json()  # paid 2.00 (1.50 + 0.50)


def refund_url(sale):
    return f"/api/v1/sales/{sale['id']}/refund/"


def test_a_partial_refund_puts_goods_back_and_restores_the_allowance(api, manager, shop, sale):
    line = SaleLine.objects.get(sale_id=sale["id"], product=shop.products[0])
    response = api(manager).post(
        refund_url(sale),
        {
            "lines": [{"sale_line": line.pk, "quantity": "1"}],
            "reason": "Produit abîmé",
            "destination": "stock",
            "session": shop.session.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["amount"], data["market_value"], data["allowance_restored"]) == ("0.50", "2.50", "0.50")
    lot = Lot.objects.get(pk=shop.lots[0].pk)
    assert lot.quantity_on_hand == Decimal("18")
    assert Movement.objects.filter(kind="refund", lot=lot).get().quantity == Decimal("1")
    month = AllowanceMonth.objects.get(household=shop.household)
    assert (month.spent_paid, month.spent_market, month.visits) == (Decimal("1.50"), Decimal("7.50"), 1)
    line.refresh_from_db()
    assert line.refunded_quantity == Decimal("1")
    assert AuditEntry.objects.filter(action="sale.refund").count() == 1


def test_refunding_the_rest_gives_back_exactly_what_was_paid(api, manager, shop, sale):
    line = SaleLine.objects.get(sale_id=sale["id"], product=shop.products[0])  # 3 × 2.50 × 0.2 = 1.50
    client = api(manager)
    amounts = []
    for _ in range(3):
        amounts.append(
            client.post(
                refund_url(sale),
                {
                    "lines": [{"sale_line": line.pk, "quantity": "1"}],
                    "reason": "Retour",
                    "destination": "stock",
                },
                format="json",
            ).json()["amount"]
        )
    assert sum(Decimal(a) for a in amounts) == Decimal("1.50")
    again = client.post(
        refund_url(sale),
        {"lines": [{"sale_line": line.pk, "quantity": "1"}], "reason": "Retour", "destination": "stock"},
        format="json",
    )
    assert again.status_code == 409 and again.json()["code"] == "refund_exceeds_sale"


def test_a_whole_sale_to_waste(api, manager, shop, sale):
    response = api(manager).post(
        refund_url(sale), {"reason": "Rappel produit", "destination": "waste"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["amount"] == "2.00"
    # Back in by a refund movement, out again as waste: the ledger says both, the stock is unchanged.
    assert Lot.objects.get(pk=shop.lots[0].pk).quantity_on_hand == Decimal("17")
    assert Movement.objects.filter(kind="waste", document_type="refund").count() == 2
    month = AllowanceMonth.objects.get(household=shop.household)
    assert month.spent_paid == Decimal("0.00")
    assert (
        api(manager)
        .post(refund_url(sale), {"reason": "x", "destination": "stock"}, format="json")
        .json()["code"]
        == "already_refunded"
    )


def test_a_refund_needs_a_reason_and_a_manager(api, volunteer, manager, sale):
    assert (
        api(volunteer)
        .post(refund_url(sale), {"reason": "x", "destination": "stock"}, format="json")
        .status_code
        == 403
    )
    response = api(manager).post(refund_url(sale), {"reason": " ", "destination": "stock"}, format="json")
    assert response.status_code == 400
    assert Refund.objects.count() == 0


def test_a_line_of_another_sale_is_refused(api, manager, shop, sale):
    response = api(manager).post(
        refund_url(sale),
        {"lines": [{"sale_line": 999999, "quantity": "1"}], "reason": "x", "destination": "stock"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_sale_line"


def test_refunds_are_listed_and_shown_on_the_sale(api, manager, volunteer, sale):
    api(manager).post(refund_url(sale), {"reason": "Retour", "destination": "stock"}, format="json")
    assert api(volunteer).get("/api/v1/refunds/", {"sale": sale["id"]}).json()["count"] == 1
    detail = api(volunteer).get(f"/api/v1/sales/{sale['id']}/").json()
    assert detail["refunds"][0]["reason"] == "Retour"
    assert [line["refunded_quantity"] for line in detail["lines"]] == ["3.000", "1.000"]
