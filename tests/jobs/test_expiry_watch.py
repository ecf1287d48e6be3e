"""The daily expiry watch per site: near-DLC lots with a suggestion, past-DLC lots proposed for
waste (a manager confirms), low stock, cold locations without a reading today."""
import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grocery.models import JobRun, Notification
from grocery.permissions import Role
from stock.expiry import Suggestion, expiry_watch_report, suggest
from stock.models import Location, Lot, Movement, TemperatureReading
from stock.services import movements_record
from stock.tasks import expiry_watch, expiry_watch_site
from tests.factories.stock import LocationFactory, ProductFactory, make_lot

D = Decimal


@pytest.fixture
def today():
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def sold(lot: Lot, quantity: str, when: datetime.datetime) -> None:
    movements_record(entries=[(lot.pk, -D(quantity))], kind=Movement.Kind.SALE, document_type="sale",
                     document_id="test", at=when)


@pytest.fixture
def shelf(site):
    return LocationFactory(site=site, name="Rayon", kind=Location.Kind.SHOP_FLOOR)


@pytest.fixture
def fridge(site):
    return LocationFactory(site=site, name="Frigo 1", kind=Location.Kind.FRIDGE)


@pytest.mark.parametrize(
    ("quantity", "days_left", "pace", "expected"),
    [
        ("4", 3, "1", Suggestion.PUT_FORWARD),  # 4 days of sales at 1/day clear 4
        ("10", 3, "1", Suggestion.DONATE),  # surplus with time left: a partner can use it
        ("10", 1, "1", Suggestion.GIVE_FREE),  # surplus and a day left: give it away
        ("3", 0, "0", Suggestion.GIVE_FREE),  # nothing sells and it ends today
    ],
)
def test_suggestion(quantity, days_left, pace, expected):
    assert suggest(quantity=D(quantity), days_left=days_left, daily_pace=D(pace))[0] == expected


@pytest.mark.django_db
def test_the_report_finds_what_needs_attention(site, other_site, shelf, fridge, today):
    yoghurt = ProductFactory(name="Yaourt nature", low_stock_threshold=D("0"))
    near = make_lot(product=yoghurt, location=fridge, quantity="30", use_by=today + days(2))
    sold(near, "14", timezone.now() - days(3))  # 14 in 28 days: 0.5 a day, 1.5 by the DLC
    later = make_lot(product=yoghurt, location=fridge, quantity="5", use_by=today + days(10))
    past = make_lot(product=yoghurt, location=fridge, quantity="3", use_by=today - days(1),
                    received_on=today - days(8))
    rice = ProductFactory(name="Riz", low_stock_threshold=D("10"))
    make_lot(product=rice, location=shelf, quantity="4")
    ProductFactory(name="Jamais reçu ici", low_stock_threshold=D("10"))
    make_lot(product=ProductFactory(name="Autre site"), location=LocationFactory(site=other_site),
             quantity="1", use_by=today + days(1))

    report = expiry_watch_report(site_id=site.pk, on_date=today)

    assert [(item.lot, item.days_left, item.suggestion) for item in report.near_expiry] == [
        (near, 2, Suggestion.DONATE)
    ]
    assert later not in [item.lot for item in report.near_expiry]
    assert report.past_use_by == [past]
    assert [(item.product, item.on_hand) for item in report.low_stock] == [(rice, D("4"))]
    assert report.cold_without_reading == [fridge]
    TemperatureReading.objects.create(location=fridge, celsius=D("3.5"), limit_celsius=D("4"))
    assert expiry_watch_report(site_id=site.pk, on_date=today).cold_without_reading == []


@pytest.mark.django_db
def test_stock_past_its_dlc_does_not_count_as_available(site, shelf, today):
    milk = ProductFactory(name="Lait", low_stock_threshold=D("5"))
    make_lot(product=milk, location=shelf, quantity="20", use_by=today - days(1), received_on=today - days(5))
    report = expiry_watch_report(site_id=site.pk, on_date=today)
    assert [(item.product, item.on_hand) for item in report.low_stock] == [(milk, D("0"))]


@pytest.mark.django_db
def test_the_report_takes_a_constant_number_of_queries(site, shelf, fridge, today):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            expiry_watch_report(site_id=site.pk, on_date=today)
        return len(queries)

    def add_lots(n):
        for _ in range(n):
            product = ProductFactory(low_stock_threshold=D("50"))
            make_lot(product=product, location=fridge, quantity="5", use_by=today + days(1))
            make_lot(product=product, location=shelf, quantity="2", use_by=today - days(1),
                     received_on=today - days(4))

    add_lots(2)
    count()  # the settings row is made on first use
    small = count()
    add_lots(15)
    assert count() == small


@pytest.mark.django_db(transaction=True)
def test_the_daily_watch_notifies_site_staff_and_wastes_nothing(run_task, site, fridge, today):
    yoghurt = ProductFactory(name="Yaourt", low_stock_threshold=D("0"))
    past = make_lot(product=yoghurt, location=fridge, quantity="3", use_by=today - days(1),
                    received_on=today - days(8))
    make_lot(product=yoghurt, location=fridge, quantity="6", use_by=today + days(1))

    result = run_task(expiry_watch_site, site_id=site.pk)

    assert result["counts"] == {"near_expiry": 1, "past_use_by": 1, "low_stock": 0,
                                "cold_without_reading": 1}
    past.refresh_from_db()
    assert past.quantity_on_hand == D("3")  # proposed, never wasted automatically
    assert not Movement.objects.filter(kind=Movement.Kind.WASTE).exists()
    kinds = set(Notification.objects.filter(site=site).values_list("kind", "role"))
    assert kinds == {("stock.near_expiry", Role.MANAGER), ("stock.near_expiry", Role.VOLUNTEER),
                     ("stock.past_use_by", Role.MANAGER), ("stock.missing_temperature", Role.MANAGER)}
    # The same day again: updated, not duplicated; a reading taken since withdraws its alert.
    TemperatureReading.objects.create(location=fridge, celsius=D("3.0"), limit_celsius=D("4"))
    run_task(expiry_watch_site, site_id=site.pk)
    assert Notification.objects.filter(site=site).count() == 3
    assert not Notification.objects.filter(kind="stock.missing_temperature").exists()


@pytest.mark.django_db(transaction=True)
def test_the_daily_watch_runs_once_per_active_site(run_task, site, other_site):
    from grocery.models import Site

    Site.objects.create(name="Fermée", code="fermee", is_active=False)
    result = run_task(expiry_watch)
    assert result["counts"] == {"sites_dispatched": 2}
    if run_task.mode == "worker":
        import time

        deadline = time.monotonic() + 60
        while JobRun.objects.filter(task="stock.expiry_watch_site", status="succeeded").count() < 2:
            assert time.monotonic() < deadline, run_task.worker.output()
            time.sleep(0.2)
    runs = JobRun.objects.filter(task="stock.expiry_watch_site", status="succeeded")
    assert sorted(run.args["site_id"] for run in runs) == [site.pk, other_site.pk]


@pytest.mark.django_db
def test_a_manager_confirms_the_waste_of_a_past_dlc_lot(site, fridge, page, manager, volunteer, today):
    past = make_lot(location=fridge, quantity="3", use_by=today - days(1), received_on=today - days(8))
    fresh = make_lot(location=fridge, quantity="3", use_by=today + days(5))
    html = page(manager).get(f"/stock/alertes/?site={site.pk}").content.decode()
    assert "Confirmer la casse" in html
    assert "Confirmer la casse" not in page(volunteer).get(f"/stock/alertes/?site={site.pk}").content.decode()
    assert page(volunteer).post("/stock/alertes/casse/", {"lot": past.pk}).status_code == 403

    response = page(manager).post("/stock/alertes/casse/", {"lot": past.pk, "site": site.pk})

    assert response.status_code == 302
    past.refresh_from_db()
    assert past.quantity_on_hand == D("0")
    waste = Movement.objects.get(kind=Movement.Kind.WASTE)
    assert (waste.lot, waste.quantity, waste.actor) == (past, D("-3.000"), manager)
    # A lot whose DLC has not passed is refused, with a French message.
    response = page(manager).post("/stock/alertes/casse/", {"lot": fresh.pk, "site": site.pk}, follow=True)
    assert "La DLC de ce lot n&#x27;est pas dépassée." in response.content.decode()
    fresh.refresh_from_db()
    assert fresh.quantity_on_hand == D("3")


@pytest.mark.django_db
def test_run_daily_jobs_command_runs_the_expiry_watch_of_one_site(site, other_site, fridge, capsys):
    call_command("run_daily_jobs", "--only", "expiry", "--site", site.code)
    assert JobRun.objects.filter(task="stock.expiry_watch_site").count() == 1
    assert "cold_without_reading': 1" in capsys.readouterr().out
