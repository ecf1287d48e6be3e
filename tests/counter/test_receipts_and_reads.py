"""Receipts (80 mm page, plain text, DUPLICATA on reprint, nothing sensitive), sale reads and
lists, the till's catalogue snapshot, and the limits shown by the card lookup."""

import uuid
from decimal import Decimal

import pytest

from grocery.models import Sale
from tests.factories.counter import LimitFactory

pytestmark = pytest.mark.django_db


def sell(api, user, shop, lines=None):
    body = {
        "id": str(uuid.uuid4()),
        "session": shop.session.pk,
        "card": shop.card.number,
        "lines": lines or [shop.line(0, 2), shop.line(1)],
        "payments": [{"method": "cash", "amount": "5.00"}],
    }
    response = api(user).post("/api/v1/sales/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_receipt_page_then_its_duplicata(page, volunteer, shop, api):
    sale = sell(api, volunteer, shop)
    client = page(volunteer)
    first = client.get(f"/caisse/tickets/{sale['id']}/").content.decode()
    assert shop.site.name in first and "Ticket n° <strong>1</strong>" in first
    assert "Produit 0" in first and "Votre économie" in first and "Reste ce mois-ci" in first
    assert "DUPLICATA" not in first
    assert shop.household.display_name not in first  # nothing that names the household
    assert "DUPLICATA" in client.get(f"/caisse/tickets/{sale['id']}/").content.decode()


def test_the_plain_text_receipt_fits_a_thermal_printer(api, volunteer, shop):
    sale = sell(api, volunteer, shop)
    response = api(volunteer).get(f"/api/v1/sales/{sale['id']}/receipt/text/")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert all(len(line) <= 42 for line in text.splitlines())
    assert "TOTAL PAYÉ" in text and "1,50 €" in text and "Monnaie rendue" in text
    assert "DUPLICATA" not in text
    html = api(volunteer).get(f"/api/v1/sales/{sale['id']}/receipt/")
    assert html["Content-Type"].startswith("text/html") and "DUPLICATA" in html.content.decode()
    assert Sale.objects.get().print_count == 2


def test_an_unknown_sale_is_a_404(api, volunteer, page):
    assert api(volunteer).get(f"/api/v1/sales/{uuid.uuid4()}/").status_code == 404
    assert api(volunteer).get("/api/v1/sales/not-a-uuid/").status_code == 404
    assert page(volunteer).get(f"/caisse/tickets/{uuid.uuid4()}/").status_code == 404


def test_sale_lists_filter_and_do_not_grow_in_queries(
    api, volunteer, shop, other_site, django_assert_max_num_queries
):
    for _ in range(4):
        sell(api, volunteer, shop)
    client = api(volunteer)
    with django_assert_max_num_queries(5):
        data = client.get("/api/v1/sales/", {"site": shop.site.pk, "session": shop.session.pk}).json()
    assert data["count"] == 4
    assert data["results"][0]["totals"] == {"market_value": "7.50", "paid": "1.50", "savings": "6.00"}
    assert client.get("/api/v1/sales/", {"site": other_site.pk}).json()["count"] == 0
    assert client.get("/api/v1/sales/", {"receipt_number": 2}).json()["count"] == 1
    with django_assert_max_num_queries(9):
        detail = client.get(f"/api/v1/sales/{data['results'][0]['id']}/").json()
    assert len(detail["lines"]) == 2 and detail["remaining_allowance"]


def test_the_catalogue_snapshot_and_its_etag(api, volunteer, manager, shop):
    client = api(volunteer)
    url = f"/api/v1/sites/{shop.site.pk}/catalogue/"
    first = client.get(url)
    assert first.status_code == 200
    data = first.json()
    product = next(p for p in data["products"] if p["id"] == shop.products[0].pk)
    assert product["barcodes"] == [shop.barcodes[0]] and product["available"] == "20.000"
    assert product["market_price"] == "2.50"
    assert data["origin_ceilings"] == {"food_bank": "0.100", "pnaa": "0.200"}
    assert first["ETag"] == f'"{data["version"]}"'
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    shop.products[0].market_price = Decimal("2.60")
    shop.products[0].save()
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["version"] != data["version"]
    assert client.get("/api/v1/sites/999999/catalogue/").status_code == 404


def test_the_card_lookup_shows_limits_from_real_sales(api, volunteer, shop):
    from beneficiaries.selectors import card_lookup_payload

    LimitFactory(name="Huile", product=shop.products[0], quantity=Decimal("2"), per_extra_person=Decimal("1"))
    sell(api, volunteer, shop)
    payload = card_lookup_payload(shop.card)
    assert payload["limits"] == [
        {
            "limit": payload["limits"][0]["limit"],
            "name": "Huile",
            "product": shop.products[0].pk,
            "category": None,
            "period": "month",
            "allowed": "2.000",
            "used": "2.000",
            "remaining": "0.000",
        }
    ]
    assert payload["allowance"]["remaining"] == "28.50"


def test_pricing_rules_and_limits_are_for_managers(api, volunteer, manager, shop):
    category = shop.products[0].category.pk
    assert api(volunteer).get("/api/v1/pricing-rules/").status_code == 403
    created = api(manager).post(
        "/api/v1/pricing-rules/",
        {"name": "Hygiène à 10 %", "category": category, "rate": "0.100"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    nothing = api(manager).post(
        "/api/v1/pricing-rules/", {"name": "Sans cible", "rate": "0.100"}, format="json"
    )
    assert nothing.status_code == 400 and nothing.json()["code"] == "rule_without_target"
    too_high = api(manager).post(
        "/api/v1/pricing-rules/", {"name": "x", "origin": "purchase", "rate": "1.5"}, format="json"
    )
    assert too_high.status_code == 400
    limit = api(manager).post(
        "/api/v1/limits/",
        {"name": "Café", "product": shop.products[1].pk, "period": "visit", "quantity": "1"},
        format="json",
    )
    assert limit.status_code == 201, limit.json()
    both = api(manager).post(
        "/api/v1/limits/",
        {"name": "x", "product": shop.products[1].pk, "category": category, "quantity": "1"},
        format="json",
    )
    assert both.status_code == 400 and both.json()["code"] == "limit_target"
    assert api(manager).delete(f"/api/v1/limits/{limit.json()['id']}/").status_code == 204


def test_managers_add_tills(api, volunteer, manager, site):
    assert api(volunteer).post("/api/v1/tills/", {"site": site.pk, "name": "Caisse 2"}).status_code == 403
    response = api(manager).post("/api/v1/tills/", {"site": site.pk, "name": "Caisse 2"}, format="json")
    assert response.status_code == 201
    assert api(volunteer).get("/api/v1/tills/").json()["count"] == 1


def test_the_catalogue_snapshot_does_not_grow_in_queries(api, volunteer, shop, django_assert_max_num_queries):
    from tests.factories.stock import BarcodeFactory, ProductFactory, make_lot

    for index in range(15):
        product = ProductFactory(name=f"Autre {index}")
        BarcodeFactory(product=product)
        BarcodeFactory(product=product)
        make_lot(product=product, location=shop.location, quantity="3", lot_number=f"X{index}")
    LimitFactory(name="Huile", product=shop.products[0], quantity=Decimal("2"))
    from grocery.models import CounterSettings

    CounterSettings.get_solo()  # exists in a running shop
    with django_assert_max_num_queries(9):
        data = api(volunteer).get(f"/api/v1/sites/{shop.site.pk}/catalogue/").json()
    assert len(data["products"]) == 18 and len(data["limits"]) == 1
