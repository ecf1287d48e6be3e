"""The stock API: catalogue, lookup, lots and levels (with query counts), operations, recall."""

import datetime
from decimal import Decimal

import pytest

from stock.models import Lot, Movement, Stocktake, TemperatureReading
from stock.selectors import RECALL_EXTENSIONS
from tests.factories.stock import BarcodeFactory, CategoryFactory, LocationFactory, ProductFactory, make_lot

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
D = datetime.timedelta


def test_lookup_by_barcode(api, volunteer):
    barcode = BarcodeFactory(code="3017620422003", product=ProductFactory(name="Pâte à tartiner 400 g"))
    client = api(volunteer)
    found = client.get("/api/v1/products/lookup/", {"barcode": "3017620422003"})
    assert found.status_code == 200
    assert found.json()["name"] == "Pâte à tartiner 400 g"
    assert found.json()["barcodes"] == [barcode.code]
    bad = client.get("/api/v1/products/lookup/", {"barcode": "3017620422004"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_barcode"
    assert "barcode" in bad.json()["fields"]
    unknown = client.get("/api/v1/products/lookup/", {"barcode": "5449000000996"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_barcode"


def test_managers_create_products_with_barcodes_and_internal_codes(api, manager, volunteer):
    category = CategoryFactory(name="Épicerie salée")
    client = api(manager)
    payload = {
        "name": "Lentilles vertes",
        "brand": "",
        "category": category.pk,
        "unit": "kg",
        "market_price": "3.20",
        "barcodes": ["3560070048861"],
    }
    response = client.post("/api/v1/products/", payload)
    assert response.status_code == 201, response.json()
    product_id = response.json()["id"]
    coded = client.post(f"/api/v1/products/{product_id}/internal-code/")
    assert coded.status_code == 201
    assert sorted(coded.json()["barcodes"]) == ["2000000000015", "3560070048861"]
    taken = client.post("/api/v1/products/", payload)
    assert taken.status_code == 409 and taken.json()["code"] == "barcode_taken"
    bad = client.post(f"/api/v1/products/{product_id}/barcodes/", {"code": "3560070048862"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_barcode"
    negative = client.patch(f"/api/v1/products/{product_id}/", {"market_price": "-1"})
    assert negative.status_code == 400 and "market_price" in negative.json()["fields"]
    assert api(volunteer).post("/api/v1/products/", payload).status_code == 403


def test_product_list_filters_and_search(api, volunteer):
    ProductFactory(name="Café moulu", brand="Carte Noire")
    ProductFactory(name="Thé vert", unit="piece")
    response = api(volunteer).get("/api/v1/products/", {"q": "noire"})
    assert [row["name"] for row in response.json()["results"]] == ["Café moulu"]


def _fill(site, count):
    location = LocationFactory(site=site, name="Réserve")
    for index in range(count):
        product = ProductFactory()
        BarcodeFactory(product=product)
        make_lot(
            product=product,
            location=location,
            quantity="3",
            use_by=TODAY + D(index + 1),
            lot_number=f"L{index}",
        )


def _queries(django_assert_max_num_queries, client, url, params):
    with django_assert_max_num_queries(50) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "url", ["/api/v1/lots/", "/api/v1/stock-levels/", "/api/v1/movements/", "/api/v1/products/"]
)
def test_list_query_counts_do_not_grow_with_rows(api, manager, site, django_assert_max_num_queries, url):
    client = api(manager)
    client.get(url, {"site": site.pk})  # the user's roles are read once, then cached
    _fill(site, 3)
    few = _queries(django_assert_max_num_queries, client, url, {"site": site.pk})
    _fill(site, 30)
    many = _queries(django_assert_max_num_queries, client, url, {"site": site.pk})
    assert many == few
    assert many <= 6


def test_stock_levels_per_site_and_product(api, volunteer, site, other_site):
    product = ProductFactory(name="Huile de tournesol 1 l", low_stock_threshold=Decimal("10"))
    make_lot(
        product=product,
        location=LocationFactory(site=site, name="Réserve"),
        quantity="4",
        use_by=TODAY + D(5),
    )
    make_lot(
        product=product,
        location=LocationFactory(site=site, name="Rayon"),
        quantity="2",
        best_before=TODAY + D(90),
    )
    make_lot(product=product, location=LocationFactory(site=other_site, name="Réserve"), quantity="20")
    rows = api(volunteer).get("/api/v1/stock-levels/", {"site": site.pk}).json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["product_name"], Decimal(row["quantity"]), row["lots"], row["is_low"]) == (
        "Huile de tournesol 1 l",
        6,
        2,
        True,
    )
    assert row["next_use_by"] == str(TODAY + D(5))


def test_lots_filters(api, volunteer, site):
    location = LocationFactory(site=site, name="Réserve")
    soon = make_lot(location=location, quantity="1", use_by=TODAY + D(2))
    make_lot(location=location, quantity="1", use_by=TODAY + D(20))
    rows = api(volunteer).get("/api/v1/lots/", {"expiring_within": 3}).json()["results"]
    assert [row["id"] for row in rows] == [soon.pk]


def test_transfer_more_than_on_hand_is_refused_and_nothing_is_written(api, manager, site):
    lot = make_lot(location=LocationFactory(site=site, name="Réserve"), quantity="3")
    shelf = LocationFactory(site=site, name="Rayon")
    response = api(manager).post(
        "/api/v1/transfers/", {"source": lot.pk, "to_location": shelf.pk, "quantity": "4"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock" and "quantity" in response.json()["fields"]
    assert Lot.objects.count() == 1 and Movement.objects.count() == 1
    ok = api(manager).post("/api/v1/transfers/", {"source": lot.pk, "to_location": shelf.pk, "quantity": "3"})
    assert ok.status_code == 201
    assert Lot.objects.get(pk=ok.json()["destination"]).location == shelf


def test_waste_with_a_reason(api, manager, site):
    lot = make_lot(location=LocationFactory(site=site), quantity="3")
    response = api(manager).post("/api/v1/waste/", {"lot": lot.pk, "quantity": "1", "reason": "cold_chain"})
    assert response.status_code == 201
    lot.refresh_from_db()
    assert lot.quantity_on_hand == 2
    assert lot.movements.filter(kind="waste", document_type="waste").count() == 1
    bad = api(manager).post("/api/v1/waste/", {"lot": lot.pk, "quantity": "0", "reason": "expired"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_quantity"


def test_stocktake_counts_posts_and_locks(api, manager, site):
    location = LocationFactory(site=site, name="Réserve")
    lot = make_lot(location=location, quantity="5")
    client = api(manager)
    created = client.post("/api/v1/stocktakes/", {"location": location.pk})
    assert created.status_code == 201
    stocktake = created.json()
    line = stocktake["lines"][0]
    assert (line["lot"], Decimal(line["expected_quantity"])) == (lot.pk, 5)
    incomplete = client.post(f"/api/v1/stocktakes/{stocktake['id']}/post/")
    assert incomplete.json()["code"] == "stocktake_incomplete"
    counted = client.post(f"/api/v1/stocktakes/{stocktake['id']}/count/", {"counts": {str(line["id"]): "7"}})
    assert Decimal(counted.json()["lines"][0]["difference"]) == 2
    posted = client.post(f"/api/v1/stocktakes/{stocktake['id']}/post/")
    assert posted.json()["status"] == "posted"
    lot.refresh_from_db()
    assert lot.quantity_on_hand == 7
    locked = client.post(f"/api/v1/stocktakes/{stocktake['id']}/count/", {"counts": {str(line["id"]): "1"}})
    assert locked.status_code == 409 and locked.json()["code"] == "stocktake_locked"
    assert Stocktake.objects.get().lines.get().counted_quantity == 7


def test_purchase_receipt_creates_lots_with_their_cost(api, manager, site):
    product = ProductFactory()
    reserve = LocationFactory(site=site, name="Réserve")
    client = api(manager)
    created = client.post(
        "/api/v1/purchases/",
        {
            "supplier": "Grossiste du Calvados",
            "site": site.pk,
            "lines": [
                {
                    "product": product.pk,
                    "quantity": "24",
                    "unit_cost": "0.45",
                    "best_before": str(TODAY + D(400)),
                }
            ],
        },
    )
    assert created.status_code == 201, created.json()
    received = client.post(f"/api/v1/purchases/{created.json()['id']}/receive/", {"location": reserve.pk})
    assert received.status_code == 200
    lot = Lot.objects.get()
    assert (lot.origin, lot.unit_cost, lot.quantity_on_hand) == ("purchase", Decimal("0.45"), 24)
    again = client.post(f"/api/v1/purchases/{created.json()['id']}/receive/", {"location": reserve.pk})
    assert again.status_code == 409


def test_recall_lists_lots_movements_and_extensions(api, manager, site, other_site):
    product = ProductFactory(name="Steak haché surgelé")
    here = make_lot(
        product=product,
        location=LocationFactory(site=site, name="Congélateur", kind="freezer"),
        quantity="6",
        lot_number="RX-12",
    )
    make_lot(
        product=product,
        location=LocationFactory(site=other_site, name="Réserve"),
        quantity="2",
        lot_number="rx-12",
    )
    make_lot(product=product, quantity="9", lot_number="OTHER")
    from stock.services import movements_record

    movements_record(entries=[(here.pk, Decimal("-2"))], kind="sale", document_type="sale", document_id="s-1")

    def add_households(result):
        sales = [m.document_id for m in result["movements"] if m.document_type == "sale"]
        result["households"] = [{"sale": sale} for sale in sales]

    RECALL_EXTENSIONS.append(add_households)
    try:
        body = api(manager).get("/api/v1/recall/", {"product": product.pk, "lot_number": "RX-12"}).json()
    finally:
        RECALL_EXTENSIONS.remove(add_households)
    assert len(body["lots"]) == 2
    assert Decimal(body["total_remaining"]) == 6 and Decimal(body["distributed"]) == 2
    assert body["households"] == [{"sale": "s-1"}]
    withdrawn = api(manager).post("/api/v1/recall/", {"product": product.pk, "lot_number": "RX-12"})
    assert Decimal(withdrawn.json()["total_remaining"]) == 0
    assert len(withdrawn.json()["withdrawn"]) == 2


def test_temperature_above_the_limit_is_an_alert(api, manager, site):
    fridge = LocationFactory(site=site, name="Frigo 1", kind="fridge")
    client = api(manager)
    assert (
        client.post("/api/v1/temperatures/", {"location": fridge.pk, "celsius": "3.5"}).json()["is_alert"]
        is False
    )
    assert (
        client.post("/api/v1/temperatures/", {"location": fridge.pk, "celsius": "6.0"}).json()["is_alert"]
        is True
    )
    alerts = client.get("/api/v1/stock-alerts/", {"site": site.pk}).json()
    assert [row["name"] for row in alerts["temperature"]] == ["Frigo 1"]
    reserve = LocationFactory(site=site, name="Réserve")
    refused = client.post("/api/v1/temperatures/", {"location": reserve.pk, "celsius": "20"})
    assert refused.status_code == 400 and refused.json()["code"] == "not_cold_location"
    assert TemperatureReading.objects.count() == 2


def test_alerts_near_use_by_past_tolerance_and_low_stock(api, volunteer, site):
    location = LocationFactory(site=site, name="Réserve")
    near = make_lot(location=location, quantity="2", use_by=TODAY + D(2), received_on=TODAY - D(10))
    make_lot(location=location, quantity="2", use_by=TODAY + D(10), received_on=TODAY - D(10))
    old = make_lot(location=location, quantity="2", best_before=TODAY - D(120), received_on=TODAY - D(200))
    low = ProductFactory(name="Couches T4", low_stock_threshold=Decimal("5"))
    body = api(volunteer).get("/api/v1/stock-alerts/", {"site": site.pk}).json()
    assert [row["id"] for row in body["near_use_by"]] == [near.pk]
    assert [row["id"] for row in body["past_best_before_tolerance"]] == [old.pk]
    assert low.pk in [row["product"] for row in body["low_stock"]]
    missing = api(volunteer).get("/api/v1/stock-alerts/")
    assert missing.status_code == 400 and missing.json()["code"] == "required"


def test_product_search_finds_a_scanned_code_in_any_form(api, volunteer):
    BarcodeFactory(code="0036000291452", kind="upca", product=ProductFactory(name="Pancake mix"))
    client = api(volunteer)
    for query in ({"q": "036000291452"}, {"barcode": "036000291452"}, {"barcode": "0036000291452"}):
        assert [row["name"] for row in client.get("/api/v1/products/", query).json()["results"]] == [
            "Pancake mix"
        ]
    assert client.get("/api/v1/products/", {"barcode": "123"}).json()["results"] == []
