"""The counter's demo data (tills, rules, limits, a closed session with real sales; idempotent)
and the recall answer: which households received a lot."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from grocery.counter.selectors import recall_extension, recall_households
from grocery.models import CashSession, Limit, PricingRule, Sale, Till
from tests.factories.counter import make_household
from tests.factories.stock import BarcodeFactory, CategoryFactory, LocationFactory, ProductFactory, make_lot

pytestmark = pytest.mark.django_db


def test_the_demo_records_a_closed_session_with_sales_and_runs_twice(site):
    from grocery import demo

    location = LocationFactory(site=site, name="Réserve")
    hygiene = CategoryFactory(name="Hygiène", food_group="hygiene")
    for index, name in enumerate(["Huile de tournesol", "Café moulu", "Savon", "Pâtes"]):
        product = ProductFactory(
            name=name,
            market_price=Decimal("2.00"),
            category=hygiene if name == "Savon" else CategoryFactory(name="Épicerie"),
        )
        BarcodeFactory(product=product)
        make_lot(
            product=product,
            location=location,
            quantity="30",
            origin="purchase",
            use_by=timezone.localdate() + datetime.timedelta(days=60),
            lot_number=f"D{index}",
        )
    for _ in range(2):
        make_household(site=site, allowance="50.00")
    demo.seed()
    session = CashSession.objects.get(till__site=site, till__name="Caisse 1")
    assert not session.is_open and session.difference == Decimal("0.00")
    sales = Sale.objects.filter(session=session)
    assert 2 <= sales.count() <= 3  # up to three households served (the other apps' demo adds some)
    assert all(sale.lines.exists() and sale.payments.exists() for sale in sales)
    assert Till.objects.filter(site__code="collines").exists()
    assert PricingRule.objects.filter(category=hygiene).exists()
    assert Limit.objects.filter(product__name="Huile de tournesol").exists()
    counts = (
        Sale.objects.count(),
        CashSession.objects.count(),
        Limit.objects.count(),
        PricingRule.objects.count(),
    )
    demo.seed()
    assert (
        Sale.objects.count(),
        CashSession.objects.count(),
        Limit.objects.count(),
        PricingRule.objects.count(),
    ) == counts


def test_the_recall_names_the_households_that_received_a_lot(api, volunteer, manager, shop):
    body = {
        "id": str(uuid.uuid4()),
        "session": shop.session.pk,
        "card": shop.card.number,
        "lines": [shop.line(0, 3)],
        "payments": [{"method": "cash", "amount": "5.00"}],
    }
    sale = api(volunteer).post("/api/v1/sales/", body, format="json").json()
    other, card, _ = make_household(site=shop.site)
    api(volunteer).post(
        "/api/v1/sales/",
        dict(body, id=str(uuid.uuid4()), card=card.number, lines=[shop.line(1)]),
        format="json",
    )
    [entry] = recall_households([shop.lots[0].pk])
    assert (entry["household"], entry["quantity"]) == (shop.household.pk, "3.000")
    assert entry["receipts"][0]["receipt_number"] == sale["receipt_number"]
    from grocery.counter.services import refund_create

    refund_create(sale_id=sale["id"], reason="Rappel", destination="waste", actor=manager)
    result = {"lots": [shop.lots[0]], "households": []}
    recall_extension(result)
    assert result["households"][0]["quantity"] == "0.000"


def test_the_stock_recall_answer_names_households_through_the_counter_hook(api, volunteer, manager, shop):
    body = {"id": str(uuid.uuid4()), "session": shop.session.pk, "card": shop.card.number,
            "lines": [shop.line(0, 2)], "payments": [{"method": "cash", "amount": "5.00"}]}
    assert api(volunteer).post("/api/v1/sales/", body, format="json").status_code == 201
    response = api(manager).get("/api/v1/recall/", {"product": shop.products[0].pk,
                                                    "lot_number": shop.lots[0].lot_number})
    assert response.status_code == 200
    [household] = response.json()["households"]
    assert (household["household"], household["quantity"]) == (shop.household.pk, "2.000")


def test_the_card_lookup_answers_the_allowance_and_limits_left_after_real_sales(api, volunteer, shop):
    Limit.objects.create(name="Produit 0", product=shop.products[0], quantity=Decimal("3"))
    body = {"id": str(uuid.uuid4()), "session": shop.session.pk, "card": shop.card.number,
            "lines": [shop.line(0, 2)], "payments": [{"method": "cash", "amount": "5.00"}]}
    api(volunteer).post("/api/v1/sales/", body, format="json")
    data = api(volunteer).get(f"/api/v1/cards/{shop.card.number}/").json()
    assert data["allowance"]["remaining"] == "29.00"
    assert [(item["name"], item["used"], item["remaining"]) for item in data["limits"]] == [
        ("Produit 0", "2.000", "1.000")]
