"""Donations: partners log them (and only see their own), staff receive them, attestations."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections

from grocery.errors import DomainError
from grocery.models import PartnerOrganisation
from stock.models import Attestation, Donation, Lot, Movement, StockSettings
from stock.services import attestation_issue, donation_receive, donation_update
from tests.factories.core import PartnerOrganisationFactory
from tests.factories.stock import (
    BarcodeFactory,
    CategoryFactory,
    LocationFactory,
    ProductFactory,
    make_donation,
    make_lot,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
D = datetime.timedelta


def _payload(site, **line):
    barcode = BarcodeFactory(product=ProductFactory(name="Riz long 1 kg"))
    base = {
        "barcode": barcode.code,
        "quantity": "12",
        "best_before": str(TODAY + D(300)),
        "lot_number": "R-22",
    }
    base.update(line)
    return {"site": site.pk, "lines": [base]}


def test_a_partner_logs_a_donation_by_barcode_for_its_own_organisation(
    api, partner_user, site, other_partner_org
):
    payload = _payload(site)
    payload["partner"] = other_partner_org.pk  # ignored: a partner logs for itself
    response = api(partner_user).post("/api/v1/donations/", payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["partner"] == partner_user.partner_id and body["status"] == "announced"
    assert body["lines"][0]["product_name"] == "Riz long 1 kg"
    assert body["origin"] == "individual_donation"  # a charity's collection


def test_a_partner_sees_and_edits_only_its_own_donations(api, partner_user, other_partner_user, site):
    own = make_donation(partner=partner_user.partner, site=site)
    other = make_donation(partner=other_partner_user.partner, site=site)
    client = api(partner_user)
    listed = [row["id"] for row in client.get("/api/v1/donations/").json()["results"]]
    assert listed == [own.pk]
    assert client.get(f"/api/v1/donations/{other.pk}/").status_code == 404
    assert client.put(f"/api/v1/donations/{other.pk}/", _payload(site)).status_code == 404
    assert client.post(f"/api/v1/donations/{other.pk}/cancel/").status_code == 404
    response = client.put(f"/api/v1/donations/{own.pk}/", _payload(site, quantity="3"))
    assert response.status_code == 200
    assert [line["quantity"] for line in response.json()["lines"]] == ["3.000"]
    assert Donation.objects.get(pk=other.pk).lines.count() == 2


def test_pages_follow_the_same_rule(page, partner_user, other_partner_user, site):
    other = make_donation(partner=other_partner_user.partner, site=site)
    assert page(partner_user).get(f"/dons/{other.pk}/").status_code == 404
    assert page(partner_user).get(f"/dons/{other.pk}/modifier/").status_code == 404


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        ({"barcode": "3017620422004"}, "lines[0].barcode", "invalid_barcode"),
        ({"quantity": "0"}, "lines[0].quantity", "invalid_quantity"),
        ({"quantity": "-2"}, "lines[0].quantity", "invalid_quantity"),
        ({"quantity": "1.5"}, "lines[0].quantity", "invalid_unit"),
        ({"best_before": None, "use_by": str(TODAY - D(1))}, "lines[0].use_by", "use_by_passed"),
    ],
)
def test_bad_lines_are_refused_naming_the_field_and_nothing_is_written(
    api, partner_user, site, line, field, code
):
    response = api(partner_user).post("/api/v1/donations/", _payload(site, **line))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["fields"]
    assert not Donation.objects.exists()


def test_a_free_description_needs_a_category(api, partner_user, site):
    response = api(partner_user).post(
        "/api/v1/donations/",
        {"site": site.pk, "lines": [{"description": "Légumes du jardin", "quantity": "4"}]},
    )
    assert response.json()["code"] == "product_required"
    category = CategoryFactory(name="Fruits et légumes", food_group="fruits_vegetables")
    response = api(partner_user).post(
        "/api/v1/donations/",
        {
            "site": site.pk,
            "lines": [{"description": "Légumes du jardin", "category": category.pk, "quantity": "4.5"}],
        },
    )
    assert response.status_code == 201


def test_store_pickups_refuse_goods_within_48_hours_of_their_use_by_date(api, site, manager):
    store = PartnerOrganisationFactory(name="Supermarché", kind=PartnerOrganisation.Kind.STORE)
    client = api(manager)
    payload = _payload(site, best_before=None, use_by=str(TODAY + D(1)))
    payload["partner"] = store.pk
    response = client.post("/api/v1/donations/", payload)
    assert response.status_code == 400
    assert response.json()["code"] == "pickup_too_close_to_use_by"
    assert "lines[0].use_by" in response.json()["fields"]
    payload["lines"][0]["use_by"] = str(TODAY + D(2))
    assert client.post("/api/v1/donations/", payload).status_code == 201
    settings = StockSettings.get_solo()
    settings.pickup_min_hours_before_dlc = 72
    settings.save()
    assert client.post("/api/v1/donations/", payload).json()["code"] == "pickup_too_close_to_use_by"


def test_receiving_with_counted_quantities_creates_lots_and_receipts_once(api, volunteer, partner_org, site):
    donation = make_donation(partner=partner_org, site=site)
    reserve = LocationFactory(site=site, name="Réserve")
    first, second = donation.lines.all()
    client = api(volunteer)
    response = client.post(
        f"/api/v1/donations/{donation.pk}/receive/",
        {
            "location": reserve.pk,
            "lines": [
                {"line": first.pk, "received_quantity": "8"},
                {"line": second.pk, "received_quantity": "0"},
            ],
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "received"
    lot = Lot.objects.get()
    assert (lot.quantity_on_hand, lot.partner, lot.origin, lot.lot_number) == (
        8,
        partner_org,
        "individual_donation",
        "A1",
    )
    assert Movement.objects.get().document_id == str(donation.pk)
    again = client.post(f"/api/v1/donations/{donation.pk}/receive/", {"location": reserve.pk})
    assert again.status_code == 409 and again.json()["code"] == "donation_already_received"
    assert Lot.objects.count() == 1


def test_a_received_donation_can_no_longer_be_changed_by_its_partner(api, partner_user, site):
    donation = make_donation(partner=partner_user.partner, site=site)
    donation_receive(donation=donation, location=LocationFactory(site=site))
    response = api(partner_user).put(f"/api/v1/donations/{donation.pk}/", _payload(site))
    assert response.status_code == 409 and response.json()["code"] == "donation_not_editable"


def test_receiving_is_all_or_nothing(partner_org, site):
    donation = make_donation(partner=partner_org, site=site)
    first, second = donation.lines.all()
    with pytest.raises(DomainError) as info:
        donation_receive(
            donation=donation,
            location=LocationFactory(site=site),
            counted={second.pk: {"received_quantity": "2.5"}},
        )
    assert info.value.code == "invalid_unit" and "lines[1].received_quantity" in info.value.fields
    assert not Lot.objects.exists() and not Movement.objects.exists()
    assert Donation.objects.get(pk=donation.pk).status == "announced"
    assert first.pk


def test_receiving_into_another_sites_location_is_refused(partner_org, site, other_site):
    donation = make_donation(partner=partner_org, site=site)
    with pytest.raises(DomainError) as info:
        donation_receive(donation=donation, location=LocationFactory(site=other_site))
    assert info.value.code == "invalid_location"


def test_update_refuses_a_received_donation(partner_org, site):
    donation = make_donation(partner=partner_org, site=site)
    donation_receive(donation=donation, location=LocationFactory(site=site))
    with pytest.raises(DomainError) as info:
        donation_update(donation=donation, lines=[])
    assert info.value.code == "donation_not_editable"


# --- Attestations -------------------------------------------------------------------------------


def _received(partner, site, lines):
    donation = make_donation(partner=partner, site=site, lines=lines)
    donation_receive(donation=donation, location=LocationFactory(site=site, name="Réserve"))
    return donation


def test_attestation_values_at_cost_price_and_half_near_the_use_by_date(site, manager):
    company = PartnerOrganisationFactory(name="Biscuiterie", kind="company", siret="73282932000074")
    yoghurt = ProductFactory(
        name="Yaourt nature x4", market_price=Decimal("1.90"), net_weight_kg=Decimal("0.5")
    )
    pasta = ProductFactory(name="Spaghetti 500 g", market_price=Decimal("0.99"), net_weight_kg=Decimal("0.5"))
    donation = _received(
        company,
        site,
        [
            {"product": yoghurt, "quantity": "10", "use_by": TODAY + D(3), "unit_cost": "1.20"},
            {"product": pasta, "quantity": "20", "best_before": TODAY + D(300)},
        ],
    )
    attestation = attestation_issue(partner=company, donation=donation, actor=manager)
    assert attestation.form == Attestation.Form.COMPANY
    goods = attestation.content["goods"]
    assert [g["value"] for g in goods] == ["6.00", "19.80"]  # 10 × 1.20 × 50 %, 20 × 0.99
    assert goods[0]["method"] == "cost_price_near_use_by" and goods[1]["method"] == "reference_price"
    assert attestation.total_value == Decimal("25.80")
    assert attestation.total_weight_kg == Decimal("15.000")
    assert attestation.number == f"{TODAY.year}-00001"
    with pytest.raises(DomainError) as info:
        attestation_issue(partner=company, donation=donation, actor=manager)
    assert info.value.code == "already_attested"


def test_yearly_attestation_covers_unattested_donations_and_individuals_get_cerfa_11580(site, manager):
    person = PartnerOrganisationFactory(name="Mme Durand", kind="individual")
    first = _received(person, site, None)
    second = _received(person, site, None)
    attestation = attestation_issue(partner=person, year=TODAY.year, actor=manager)
    assert attestation.form == Attestation.Form.INDIVIDUAL
    assert set(attestation.donations.values_list("pk", flat=True)) == {first.pk, second.pk}
    with pytest.raises(DomainError) as info:
        attestation_issue(partner=person, year=TODAY.year, actor=manager)
    assert info.value.code == "nothing_to_attest"


def test_unreceived_donations_cannot_be_attested(partner_org, site):
    donation = make_donation(partner=partner_org, site=site)
    with pytest.raises(DomainError) as info:
        attestation_issue(partner=partner_org, donation=donation)
    assert info.value.code == "donation_not_received"


def test_partners_read_only_their_attestations_and_get_the_pdf(
    api, partner_user, other_partner_user, manager, site
):
    own = attestation_issue(
        partner=partner_user.partner, donation=_received(partner_user.partner, site, None), actor=manager
    )
    other = attestation_issue(
        partner=other_partner_user.partner,
        donation=_received(other_partner_user.partner, site, None),
        actor=manager,
    )
    client = api(partner_user)
    assert [row["id"] for row in client.get("/api/v1/attestations/").json()["results"]] == [own.pk]
    assert client.get(f"/api/v1/attestations/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/attestations/{other.pk}/pdf/").status_code == 404
    pdf = client.get(f"/api/v1/attestations/{own.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client.post("/api/v1/attestations/", {"partner": partner_user.partner_id}).status_code == 403


def test_issuing_through_the_api(api, manager, partner_org, site):
    donation = _received(partner_org, site, None)
    response = api(manager).post(
        "/api/v1/attestations/", {"partner": partner_org.pk, "donation": donation.pk}
    )
    assert response.status_code == 201 and response.json()["sequence"] == 1
    again = api(manager).post("/api/v1/attestations/", {"partner": partner_org.pk, "donation": donation.pk})
    assert again.status_code == 409 and again.json()["code"] == "already_attested"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_attestations_are_numbered_without_gap_or_duplicate(site):
    donors = [
        PartnerOrganisationFactory(name=f"Donateur {n}", kind="company", siret="73282932000074")
        for n in range(10)
    ]
    donations = [_received(donor, site, None) for donor in donors]
    barrier = threading.Barrier(len(donors))
    errors: list[Exception] = []

    def issue(donor, donation):
        try:
            barrier.wait()
            attestation_issue(partner=donor, donation=donation)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=pair) for pair in zip(donors, donations, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(Attestation.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(donors) + 1))
    assert Attestation.objects.values("number").distinct().count() == len(donors)


def test_the_attestation_dates_the_gift_on_the_day_the_goods_were_taken_in_charge(site, manager):
    donor = PartnerOrganisationFactory(name="Primeur", kind="company", siret="73282932000074")
    last_year = datetime.date(TODAY.year - 1, 12, 30)
    product = ProductFactory(market_price=Decimal("2.00"))
    donation = make_donation(
        partner=donor,
        site=site,
        donated_on=last_year,
        lines=[{"product": product, "quantity": "5", "use_by": datetime.date(TODAY.year, 1, 2)}],
    )
    donation_receive(donation=donation, location=LocationFactory(site=site), received_on=last_year)
    with pytest.raises(DomainError):
        attestation_issue(partner=donor, year=TODAY.year, actor=manager)
    attestation = attestation_issue(partner=donor, year=TODAY.year - 1, actor=manager)
    assert attestation.period_start == attestation.period_end == last_year
    assert attestation.content["goods"][0]["date"] == last_year.isoformat()
    assert attestation.content["goods"][0]["value"] == "5.00"  # DLC 3 days after taking in charge: 50 %


def test_receiving_late_refuses_goods_whose_dates_have_become_too_close(site, manager):
    store = PartnerOrganisationFactory(name="Supérette", kind="store")
    yoghurt = ProductFactory(name="Yaourts", storage="chilled")
    donation = make_donation(
        partner=store,
        site=site,
        donated_on=TODAY - D(3),
        lines=[{"product": yoghurt, "quantity": "4", "use_by": TODAY + D(1)}],
    )
    with pytest.raises(DomainError) as too_close:
        donation_receive(donation=donation, location=LocationFactory(site=site))
    assert (
        too_close.value.code == "pickup_too_close_to_use_by" and "lines[0].use_by" in too_close.value.fields
    )
    charity = PartnerOrganisationFactory(name="Collecte du quartier", kind="charity")
    late = make_donation(
        partner=charity,
        site=site,
        donated_on=TODAY - D(5),
        lines=[{"product": yoghurt, "quantity": "4", "use_by": TODAY - D(1)}],
    )
    with pytest.raises(DomainError) as passed:
        donation_receive(donation=late, location=LocationFactory(site=site))
    assert passed.value.code == "use_by_passed" and "lines[0].use_by" in passed.value.fields
    assert not Lot.objects.exists()


def test_the_home_page_shows_stock_alerts_to_stock_staff(page, volunteer, partner_user, site):
    make_lot(
        product=ProductFactory(name="Crème fraîche"),
        location=LocationFactory(site=site),
        quantity="2",
        use_by=TODAY + D(1),
    )
    assert "DLC approche" in page(volunteer).get("/").content.decode()
    assert "Alertes stock" not in page(partner_user).get("/").content.decode()


def test_a_partner_cannot_choose_the_origin_but_staff_can(api, partner_user, manager, site):
    payload = _payload(site)
    payload["origin"] = "fead"
    assert api(partner_user).post("/api/v1/donations/", payload).json()["origin"] == "individual_donation"
    payload["partner"] = partner_user.partner_id
    assert api(manager).post("/api/v1/donations/", payload).json()["origin"] == "fead"


def test_ids_that_are_not_numbers_are_unknown_products_not_crashes(partner_org, site, manager):
    from stock.services import donation_create, purchase_create

    with pytest.raises(DomainError) as donation_error:
        donation_create(partner=partner_org, site=site, lines=[{"product": "abc", "quantity": "1"}])
    assert donation_error.value.code == "unknown_product"
    with pytest.raises(DomainError) as purchase_error:
        purchase_create(
            supplier="X", site=site, lines=[{"product": "1; DROP", "quantity": "1", "unit_cost": "1"}]
        )
    assert purchase_error.value.code == "unknown_product"
