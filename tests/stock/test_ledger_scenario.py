"""The issue's end-to-end check: receive, transfer, waste, count with a difference, then the
ledger check reports the quantities exactly (SQLite here, PostgreSQL in CI and below)."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from stock.models import Lot, Movement
from stock.selectors import ledger_differences
from stock.services import (
    donation_receive,
    stocktake_count,
    stocktake_post,
    stocktake_start,
    transfer_create,
    waste_record,
)
from tests.factories.core import UserFactory
from tests.factories.stock import LocationFactory, make_donation, make_lot


def _scenario(site, other_site, partner_org, manager):
    reserve = LocationFactory(site=site, name="Réserve")
    shelf = LocationFactory(site=site, name="Rayon", kind="shop_floor")
    elsewhere = LocationFactory(site=other_site, name="Réserve")
    donation = make_donation(partner=partner_org, site=site)
    first, second = donation.lines.all()
    donation_receive(
        donation=donation,
        location=reserve,
        actor=manager,
        counted={first.pk: {"received_quantity": "9"}, second.pk: {"received_quantity": "6"}},
    )
    dry, chilled = Lot.objects.filter(document_type="donation").order_by("pk")
    assert (dry.quantity_on_hand, chilled.quantity_on_hand) == (9, 6)

    to_shelf = transfer_create(lot=dry, to_location=shelf, quantity="4", actor=manager)
    to_other_site = transfer_create(lot=dry, to_location=elsewhere, quantity="2", actor=manager)
    waste_record(lot=chilled, quantity="1", reason="damaged", actor=manager, note="pot fendu")

    stocktake = stocktake_start(location=reserve, actor=manager)
    lines = {line.lot_id: line for line in stocktake.lines.all()}
    assert set(lines) == {dry.pk, chilled.pk}
    stocktake_count(
        stocktake=stocktake, actor=manager, counts={lines[dry.pk].pk: "2", lines[chilled.pk].pk: "5"}
    )  # one dry unit missing
    stocktake_post(stocktake=stocktake, actor=manager)

    for lot in (dry, chilled, to_shelf.destination, to_other_site.destination):
        lot.refresh_from_db()
    return dry, chilled, to_shelf.destination, to_other_site.destination


def _assert_ledger(dry, chilled, on_shelf, on_other_site):
    assert dry.quantity_on_hand == 2  # 9 received − 4 − 2 transferred − 1 missing at the count
    assert chilled.quantity_on_hand == 5  # 6 − 1 wasted
    assert on_shelf.quantity_on_hand == 4 and on_shelf.location.name == "Rayon"
    assert on_other_site.quantity_on_hand == 2 and on_other_site.site.code == "collines"
    assert on_other_site.lot_number == dry.lot_number and on_other_site.origin == dry.origin
    kinds = list(Movement.objects.filter(lot=dry).order_by("pk").values_list("kind", "quantity"))
    assert kinds == [("receipt", 9), ("transfer_out", -4), ("transfer_out", -2), ("adjustment", -1)]
    assert ledger_differences() == []
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert "aucun écart" in out.getvalue()


@pytest.mark.django_db
def test_receive_transfer_waste_count_and_the_ledger_check_agrees(site, other_site, partner_org, manager):
    _assert_ledger(*_scenario(site, other_site, partner_org, manager))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_scenario_on_postgresql(site, other_site, partner_org):
    # Role groups are flushed between transactional tests: a plain user is enough to sign movements.
    actor = UserFactory(username="magasinier", roles=[])
    _assert_ledger(*_scenario(site, other_site, partner_org, actor))


@pytest.mark.django_db
def test_check_ledger_reports_and_fixes_a_tampered_quantity(site, other_site, partner_org, manager):
    dry, *_ = _scenario(site, other_site, partner_org, manager)
    Lot.objects.filter(pk=dry.pk).update(quantity_on_hand=Decimal("7"))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=out)
    assert f"Lot #{dry.pk} : en cache 7.000, selon le journal 2.000" in out.getvalue()
    call_command("check_ledger", "--fix", stdout=io.StringIO())
    dry.refresh_from_db()
    assert dry.quantity_on_hand == 2
    call_command("check_ledger", stdout=io.StringIO())


@pytest.mark.django_db
def test_the_nightly_task_counts_differences(caplog):
    from stock.tasks import check_ledger

    lot = make_lot(quantity="4")
    assert check_ledger.delay().get()["counts"]["differences"] == 0
    Lot.objects.filter(pk=lot.pk).update(quantity_on_hand=Decimal("1"))
    assert check_ledger.delay().get()["counts"]["differences"] == 1
    assert f"lot {lot.pk}" in caplog.text
    from grocery.models.jobs import Notification

    told = Notification.objects.get(key="check_ledger:differences")
    assert told.role == "manager" and str(lot.pk) in told.body
