"""The stock pages: partner portal, receiving, count sheet, labels, attestations, lists."""

import datetime
from decimal import Decimal

import pytest

from stock.models import Donation, Lot, Movement, Stocktake
from stock.services import attestation_issue, donation_receive
from tests.factories.core import PartnerOrganisationFactory
from tests.factories.stock import BarcodeFactory, LocationFactory, ProductFactory, make_donation, make_lot

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
D = datetime.timedelta


def _donation_post(site, code, **extra):
    data = {
        "site": site.pk,
        "donated_on": str(TODAY),
        "lines-count": "2",
        "lines-0-barcode": code,
        "lines-0-quantity": "6",
        "lines-0-best_before": str(TODAY + D(200)),
        "lines-0-lot_number": "B12",
    }
    data.update(extra)
    return data


def test_a_partner_enters_a_donation_by_scanning(page, partner_user, site):
    barcode = BarcodeFactory(product=ProductFactory(name="Lait UHT 1 l"))
    client = page(partner_user)
    assert "Déclarer un don" in client.get("/dons/nouveau/").content.decode()
    response = client.post("/dons/nouveau/", _donation_post(site, barcode.code))
    donation = Donation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dons/{donation.pk}/"
    assert donation.partner == partner_user.partner
    line = donation.lines.get()
    assert (line.product, line.quantity, line.lot_number) == (barcode.product, 6, "B12")
    detail = client.get(f"/dons/{donation.pk}/").content.decode()
    assert "Lait UHT 1 l" in detail and "Modifier" in detail


def test_a_bad_barcode_is_shown_on_its_line_and_nothing_is_saved(page, partner_user, site):
    response = page(partner_user).post("/dons/nouveau/", _donation_post(site, "3017620422004"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ligne 1" in body and "Clé de contrôle du code-barres invalide" in body
    assert 'value="3017620422004"' in body  # what was typed stays in the form
    assert not Donation.objects.exists()


def test_a_partner_edits_its_donation_until_received(page, partner_user, site):
    donation = make_donation(partner=partner_user.partner, site=site)
    client = page(partner_user)
    form = client.get(f"/dons/{donation.pk}/modifier/")
    assert form.status_code == 200
    barcode = BarcodeFactory()
    assert (
        client.post(f"/dons/{donation.pk}/modifier/", _donation_post(site, barcode.code)).status_code == 302
    )
    assert donation.lines.get().product == barcode.product
    donation_receive(donation=donation, location=LocationFactory(site=site))
    locked = client.get(f"/dons/{donation.pk}/modifier/")
    assert locked.status_code == 302 and locked["Location"] == f"/dons/{donation.pk}/"


def test_staff_receive_with_counted_quantities_and_cannot_receive_twice(page, volunteer, partner_org, site):
    donation = make_donation(partner=partner_org, site=site)
    reserve = LocationFactory(site=site, name="Réserve")
    first, second = donation.lines.all()
    client = page(volunteer)
    assert str(donation.pk) in client.get("/reception/").content.decode()
    response = client.post(
        f"/reception/{donation.pk}/",
        {"location": reserve.pk, f"qty-{first.pk}": "9", f"qty-{second.pk}": "5"},
    )
    assert response.status_code == 302
    assert sorted(Lot.objects.values_list("quantity_on_hand", flat=True)) == [5, 9]
    again = client.post(f"/reception/{donation.pk}/", {"location": reserve.pk, f"qty-{first.pk}": "9"})
    assert "plus à réceptionner" in again.content.decode() or "déjà été reçu" in again.content.decode()
    assert Lot.objects.count() == 2


def test_receiving_errors_are_shown_and_nothing_is_written(page, volunteer, partner_org, site):
    donation = make_donation(partner=partner_org, site=site)
    reserve = LocationFactory(site=site, name="Réserve")
    first, second = donation.lines.all()
    response = page(volunteer).post(
        f"/reception/{donation.pk}/",
        {"location": reserve.pk, f"qty-{first.pk}": "9", f"qty-{second.pk}": "-1"},
    )
    assert "ne peut pas être négative" in response.content.decode()
    assert not Lot.objects.exists() and not Movement.objects.exists()


def test_count_sheet_posts_differences_and_locks(page, manager, site):
    location = LocationFactory(site=site, name="Réserve")
    lot = make_lot(location=location, quantity="10")
    client = page(manager)
    created = client.post("/inventaires/", {"location": location.pk})
    stocktake = Stocktake.objects.get()
    assert created["Location"] == f"/inventaires/{stocktake.pk}/"
    line = stocktake.lines.get()
    sheet = client.get(created["Location"]).content.decode()
    assert f'name="count-{line.pk}"' in sheet and "Scanner un produit" in sheet
    client.post(created["Location"], {f"count-{line.pk}": "8", "action": "post"})
    lot.refresh_from_db()
    assert lot.quantity_on_hand == 8
    assert lot.movements.filter(kind="adjustment").get().quantity == -2
    locked = client.get(created["Location"]).content.decode()
    assert "verrouillé" in locked and f'name="count-{line.pk}"' not in locked
    client.post(created["Location"], {f"count-{line.pk}": "1", "action": "post"})
    assert Stocktake.objects.get().lines.get().counted_quantity == 8


def test_labels_print_barcodes(page, manager):
    product = ProductFactory(name="Lentilles corail vrac", unit="kg")
    client = page(manager)
    client.post(f"/catalogue/{product.pk}/code-interne/")
    code = product.barcodes.get().code
    assert code.startswith("20")
    body = client.get(f"/etiquettes/?product={product.pk}&copies=2").content.decode()
    assert body.count("<svg") == 2 and "Lentilles corail vrac" in body


def test_product_form_names_the_bad_barcode(page, manager):
    category = ProductFactory().category
    response = page(manager).post(
        "/catalogue/nouveau/",
        {
            "name": "Riz",
            "category": category.pk,
            "unit": "piece",
            "market_price": "1.50",
            "storage": "ambient",
            "low_stock_threshold": "0",
            "is_active": "on",
            "barcode": "3017620422004",
        },
    )
    assert response.status_code == 200
    assert "Clé de contrôle du code-barres invalide" in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "mentions"), [("company", ["238 bis", "16216"]), ("individual", ["article 200", "11580"])]
)
def test_attestation_page_and_pdf_carry_the_legal_mentions(page, manager, site, kind, mentions):
    donor = PartnerOrganisationFactory(
        name=f"Donateur {kind}", kind=kind, siret="73282932000074" if kind == "company" else ""
    )
    donation = make_donation(partner=donor, site=site)
    donation_receive(donation=donation, location=LocationFactory(site=site))
    attestation = attestation_issue(partner=donor, donation=donation, actor=manager)
    body = page(manager).get(f"/attestations/{attestation.pk}/").content.decode()
    assert attestation.number in body
    for mention in mentions:
        assert mention in body
    pdf = page(manager).get(f"/attestations/{attestation.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_partners_only_see_their_attestations_on_pages(page, partner_user, other_partner_user, manager, site):
    donation = make_donation(partner=other_partner_user.partner, site=site)
    donation_receive(donation=donation, location=LocationFactory(site=site))
    other = attestation_issue(partner=other_partner_user.partner, donation=donation, actor=manager)
    client = page(partner_user)
    assert other.number not in client.get("/attestations/").content.decode()
    assert client.get(f"/attestations/{other.pk}/").status_code == 404
    assert client.get(f"/attestations/{other.pk}/pdf/").status_code == 404


def test_issuing_an_attestation_from_the_donation_page(page, manager, partner_org, site):
    donation = make_donation(partner=partner_org, site=site)
    donation_receive(donation=donation, location=LocationFactory(site=site))
    response = page(manager).post("/attestations/emettre/", {"donation": donation.pk})
    donation.refresh_from_db()
    assert response["Location"] == f"/attestations/{donation.attestation_id}/"


def test_transfer_page_refuses_more_than_on_hand(page, manager, site):
    lot = make_lot(location=LocationFactory(site=site, name="Réserve"), quantity="2")
    shelf = LocationFactory(site=site, name="Rayon")
    response = page(manager).post(
        "/stock/transferts/", {"lot": lot.pk, "to_location": shelf.pk, "quantity": "3"}
    )
    assert "Quantité supérieure au stock du lot" in response.content.decode()
    assert Lot.objects.count() == 1


def test_temperature_page_warns_above_the_limit(page, manager, site):
    fridge = LocationFactory(site=site, name="Frigo", kind="fridge")
    response = page(manager).post(
        "/stock/temperatures/", {"site": site.pk, "location": fridge.pk, "celsius": "7,5"}, follow=True
    )
    assert "Alerte : 7.5 °C dépasse la limite" in response.content.decode()


def test_stock_page_colours_expiry(page, volunteer, site):
    location = LocationFactory(site=site, name="Réserve")
    make_lot(product=ProductFactory(name="Yaourt"), location=location, quantity="4", use_by=TODAY + D(1))
    make_lot(
        product=ProductFactory(name="Pâtes"), location=location, quantity="4", best_before=TODAY + D(300)
    )
    body = page(volunteer).get(f"/stock/?site={site.pk}").content.decode()
    assert 'badge warn">DLC' in body and 'badge ok">DDM' in body
    lots = page(volunteer).get(f"/stock/lots/?site={site.pk}").content.decode()
    assert "Yaourt" in lots and "Pâtes" in lots


@pytest.mark.parametrize("url", ["/stock/", "/stock/lots/", "/catalogue/", "/stock/alertes/"])
def test_list_pages_queries_do_not_grow_with_rows(page, manager, site, django_assert_max_num_queries, url):
    client = page(manager)
    location = LocationFactory(site=site, name="Réserve")

    def fill(count):
        for _ in range(count):
            product = ProductFactory(low_stock_threshold=Decimal("50"))
            BarcodeFactory(product=product)
            make_lot(product=product, location=location, quantity="3", use_by=TODAY + D(2))

    client.get(f"{url}?site={site.pk}")
    fill(3)
    with django_assert_max_num_queries(60) as few:
        assert client.get(f"{url}?site={site.pk}").status_code == 200
    fill(25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"{url}?site={site.pk}")


def test_receiving_sends_chilled_goods_to_the_fridge_by_default(page, volunteer, partner_org, site):
    donation = make_donation(partner=partner_org, site=site)  # second line is a chilled product
    reserve = LocationFactory(site=site, name="Réserve")
    fridge = LocationFactory(site=site, name="Frigo", kind="fridge")
    first, second = donation.lines.all()
    form = page(volunteer).get(f"/reception/{donation.pk}/").content.decode()
    assert f'<option value="{fridge.pk}" selected>Frigo</option>' in form
    page(volunteer).post(
        f"/reception/{donation.pk}/",
        {
            "location": reserve.pk,
            f"qty-{first.pk}": "10",
            f"qty-{second.pk}": "6",
            f"location-{second.pk}": fridge.pk,
        },
    )
    assert Lot.objects.get(product=second.product).location == fridge
    assert Lot.objects.get(product=first.product).location == reserve


JUNK = {
    "lines-count": "99999999999",
    "lines-0-barcode": "abc",
    "lines-0-quantity": "deux",
    "lines-0-use_by": "31/02/2026",
    "lines-0-product": "x",
    "lines-0-unit_cost": "1,2,3",
    "count-abc": "1",
    "quantity": "beaucoup",
    "celsius": "chaud",
    "location": "abc",
    "to_location": "999999",
    "lot": "abc",
    "reason": "vol",
    "site": "abc",
    "partner": "abc",
    "donation": "abc",
    "year": "abc",
    "product": "abc",
    "lot_number": "",
    "action": "post",
    "donated_on": "hier",
}


def test_junk_posted_to_every_stock_page_never_breaks_it(page, manager, partner_org, site):
    location = LocationFactory(site=site, name="Réserve")
    lot = make_lot(location=location, quantity="3")
    donation = make_donation(partner=partner_org, site=site)
    stocktake_client = page(manager)
    stocktake_client.post("/inventaires/", {"location": location.pk})
    stocktake = Stocktake.objects.get()
    urls = [
        "/catalogue/nouveau/",
        f"/catalogue/{lot.product_id}/modifier/",
        "/stock/temperatures/",
        f"/stock/casse/?lot={lot.pk}",
        f"/stock/transferts/?lot={lot.pk}",
        "/stock/achats/",
        "/stock/rappel/",
        "/inventaires/",
        f"/inventaires/{stocktake.pk}/",
        "/dons/nouveau/",
        f"/dons/{donation.pk}/modifier/",
        f"/reception/{donation.pk}/",
        "/attestations/emettre/",
    ]
    client = page(manager)
    for url in urls:
        response = client.post(url, JUNK)
        assert response.status_code in (200, 302), url
    lot.refresh_from_db()
    assert lot.quantity_on_hand == 3 and Lot.objects.count() == 1


def test_junk_query_strings_never_break_a_stock_page(page, manager, site):
    make_lot(location=LocationFactory(site=site, name="Réserve"), quantity="3")
    client = page(manager)
    junk = "site=abc&category=abc&page=abc&location=abc&expiring_within=abc"
    junk += "&product=abc&copies=abc&lot=abc&status=x"
    for url in [
        "/catalogue/",
        "/stock/",
        "/stock/lots/",
        "/stock/alertes/",
        "/stock/temperatures/",
        "/etiquettes/",
        "/stock/rappel/",
        "/stock/casse/",
        "/stock/transferts/",
        "/dons/",
        "/reception/",
        "/attestations/",
    ]:
        assert client.get(f"{url}?{junk}").status_code == 200, url


def test_managers_add_locations_per_site(page, manager, site):
    client = page(manager)
    response = client.post(
        "/stock/emplacements/", {"site": site.pk, "name": "Chambre froide", "kind": "fridge"}
    )
    assert response.status_code == 302
    assert site.locations.get().kind == "fridge"
    duplicate = client.post(
        "/stock/emplacements/", {"site": site.pk, "name": "chambre froide", "kind": "fridge"}
    )
    assert "existe déjà" in duplicate.content.decode()
    assert "Chambre froide" in client.get(f"/stock/emplacements/?site={site.pk}").content.decode()


def test_a_purchase_is_entered_by_scanning_then_received(page, manager, site):
    barcode = BarcodeFactory(product=ProductFactory(name="Savon"))
    reserve = LocationFactory(site=site, name="Réserve")
    client = page(manager)
    form = client.get("/stock/achats/").content.decode()
    assert f'<option value="{barcode.code}">Savon' in form
    data = {
        "supplier": "Grossiste",
        "site": site.pk,
        "lines-count": "2",
        "lines-0-barcode": barcode.code,
        "lines-0-quantity": "12",
        "lines-0-unit_cost": "0,85",
        "lines-0-best_before": str(TODAY + D(500)),
        "lines-1-barcode": "3017620422004",
        "lines-1-quantity": "1",
        "lines-1-unit_cost": "1",
    }
    refused = client.post("/stock/achats/", data)
    assert "Clé de contrôle du code-barres invalide" in refused.content.decode()
    del data["lines-1-barcode"], data["lines-1-quantity"], data["lines-1-unit_cost"]
    created = client.post("/stock/achats/", data)
    assert created.status_code == 302
    client.post(created["Location"], {"location": reserve.pk})
    lot = Lot.objects.get()
    assert (lot.product, lot.quantity_on_hand, lot.unit_cost, lot.origin) == (
        barcode.product,
        12,
        Decimal("0.85"),
        "purchase",
    )


def test_volunteers_see_lot_history_without_manager_links(page, volunteer, partner_org, site):
    donation = make_donation(partner=partner_org, site=site)
    donation_receive(donation=donation, location=LocationFactory(site=site, name="Réserve"))
    lot = Lot.objects.first()
    body = page(volunteer).get(f"/stock/lots/{lot.pk}/").content.decode()
    assert f"Don n° {donation.pk}" in body and "Réception" in body
    assert f'href="/dons/{donation.pk}/"' not in body
    assert "/stock/casse/" not in body and "/stock/transferts/" not in body
