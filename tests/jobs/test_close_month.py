"""The monthly close: statements from the sales, overruns and non-take-up, idempotency, late
sales correcting a closed month, carry-over on and off, interruption, lock, set-based queries."""
import datetime
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from beneficiaries.models import AllowanceMonth, BeneficiarySettings
from grocery.jobs import monthly, sources
from grocery.jobs.locks import try_job_lock
from grocery.models import JobRun, MonthClosing, MonthlyStatement, Notification, StatementCorrection
from grocery.permissions import Role
from grocery.tasks import close_month, reconcile_closed_months
from tests.factories.beneficiaries import EntitlementFactory, HouseholdFactory
from tests.jobs.sales import buy

D = Decimal
OCTOBER = datetime.date(2026, 10, 1)
NOVEMBER = datetime.date(2026, 11, 1)
TZ = datetime.UTC


def at(day: int, month: int = 10, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=TZ)


def entitled(site, *, allowance="30.00", basis="paid", start=datetime.date(2026, 9, 1),
             end=datetime.date(2026, 12, 31), name=None):
    household = HouseholdFactory(**({"display_name": name} if name else {}))
    return EntitlementFactory(household=household, start=start, end=end, monthly_allowance=D(allowance),
                              allowance_basis=basis, sites=[site]).household


def figures(month=OCTOBER):
    return list(
        MonthlyStatement.objects.filter(month=month).order_by("household_id").values(
            "household_id", *[f for f in MonthlyStatement.FIGURES if f != "entitlement_id"], "revision"
        )
    )


@pytest.fixture
def carry_over_on(db):
    settings = BeneficiarySettings.get_solo()
    settings.carry_over = True
    settings.carry_over_cap = D("10.00")
    settings.save()
    return settings


@pytest.mark.django_db
def test_a_statement_per_household_from_its_sales(site):
    shopper = entitled(site)
    buy(shopper.pk, at(3), paid="6.40", market="32.00")
    buy(shopper.pk, at(17), paid="5.00", market="25.00")
    monthly.month_close(month=OCTOBER)
    statement = MonthlyStatement.objects.get(household=shopper)
    assert statement.allowance_basis == "paid"
    assert (statement.allowance, statement.carried_in) == (D("30.00"), D("0.00"))
    assert (statement.amount_paid, statement.market_value, statement.savings) == (D("11.40"), D("57.00"),
                                                                                  D("45.60"))
    assert (statement.spent, statement.overrun, statement.carry_over) == (D("11.40"), D("0.00"), D("0.00"))
    assert statement.visits == 2 and statement.last_visit_at == at(17)
    assert statement.no_visit is False and statement.revision == 1
    assert MonthClosing.objects.get(month=OCTOBER).households == 1


@pytest.mark.django_db
def test_market_basis_counts_market_value_against_the_allowance(site):
    household = entitled(site, allowance="60.00", basis="market")
    buy(household.pk, at(5), paid="14.00", market="70.00")
    monthly.month_close(month=OCTOBER)
    statement = MonthlyStatement.objects.get(household=household)
    assert (statement.spent, statement.overrun) == (D("70.00"), D("10.00"))


@pytest.mark.django_db
def test_overruns_and_non_take_up_are_listed_for_ccas_staff(site, ccas, page):
    over = entitled(site, name="Foyer Dépassement")
    absent = entitled(site, name="Foyer Absent")
    fine = entitled(site, name="Foyer Normal")
    buy(over.pk, at(3), paid="25.00", market="125.00")
    buy(over.pk, at(20), paid="9.50", market="47.50")  # replayed offline: over the 30 €
    buy(fine.pk, at(4), paid="10.00", market="50.00")

    result = monthly.month_close(month=OCTOBER)

    assert (result.overruns, result.no_visit) == (1, 1)
    assert MonthlyStatement.objects.get(household=over).overrun == D("4.50")
    assert MonthlyStatement.objects.get(household=absent).no_visit is True
    titles = set(Notification.objects.filter(role=Role.CCAS_STAFF).values_list("title", flat=True))
    assert titles == {"1 foyer(s) en dépassement en 10/2026",
                      "1 foyer(s) sans aucun passage en 10/2026 (non-recours)"}
    client = page(ccas)
    overruns = client.get("/bilans/?mois=2026-10&liste=depassements").content.decode()
    assert "Foyer Dépassement" in overruns and "Foyer Normal" not in overruns
    absents = client.get("/bilans/?mois=2026-10&liste=non-recours").content.decode()
    assert "Foyer Absent" in absents and "Foyer Dépassement" not in absents


@pytest.mark.django_db
def test_households_without_an_entitlement_in_the_month_get_no_statement(site):
    entitled(site, start=datetime.date(2026, 11, 1), end=datetime.date(2027, 1, 31))
    entitled(site, start=datetime.date(2026, 6, 1), end=datetime.date(2026, 9, 30))
    monthly.month_close(month=OCTOBER)
    assert MonthlyStatement.objects.count() == 0


@pytest.mark.django_db
def test_closing_twice_gives_identical_statements(site):
    for n in range(3):
        household = entitled(site)
        buy(household.pk, at(3 + n), paid=f"{5 + n}.00", market=f"{25 + 5 * n}.00")
    entitled(site)
    monthly.month_close(month=OCTOBER)
    first = figures()
    second_result = monthly.month_close(month=OCTOBER)
    assert figures() == first
    assert (second_result.created, second_result.corrected, second_result.unchanged) == (0, 0, 4)
    assert StatementCorrection.objects.count() == 0
    assert MonthlyStatement.objects.count() == 4
    assert MonthClosing.objects.get(month=OCTOBER).runs == 2


@pytest.mark.django_db
def test_a_late_sale_after_the_close_corrects_the_statement_visibly(site, ccas, page):
    household = entitled(site)
    buy(household.pk, at(3), paid="6.00", market="30.00")
    monthly.month_close(month=OCTOBER)
    # An offline till replays a sale of 30 October after the close.
    buy(household.pk, at(30, hour=17), paid="4.00", market="20.00")

    result = monthly.month_close(month=OCTOBER)

    assert result.corrected == 1
    statement = MonthlyStatement.objects.get(household=household)
    assert (statement.amount_paid, statement.market_value, statement.visits) == (D("10.00"), D("50.00"), 2)
    assert statement.revision == 2
    correction = statement.corrections.get()
    assert correction.revision == 2
    assert correction.changes["amount_paid"] == ["6.00", "10.00"]
    assert correction.changes["visits"] == [1, 2]
    assert MonthlyStatement.objects.count() == 1
    assert Notification.objects.filter(kind="statements.corrected", role=Role.CCAS_STAFF).exists()
    html = page(ccas).get(f"/bilans/{statement.pk}/").content.decode()
    assert "Révision 2" in html and "amount_paid" in html
    # A third run with nothing new changes nothing more.
    monthly.month_close(month=OCTOBER)
    assert MonthlyStatement.objects.get(household=household).revision == 2
    assert StatementCorrection.objects.count() == 1


@pytest.mark.django_db
def test_carry_over_off_carries_nothing(site):
    household = entitled(site)
    buy(household.pk, at(3), paid="12.00", market="60.00")
    buy(household.pk, at(2, month=11), paid="1.00", market="5.00")  # November's row exists
    monthly.month_close(month=OCTOBER)
    assert MonthlyStatement.objects.get(household=household).carry_over == D("0.00")
    assert AllowanceMonth.objects.get(household=household, month=NOVEMBER).carried_over == D("0.00")


@pytest.mark.django_db
def test_carry_over_on_carries_the_unused_allowance_within_the_cap(site, carry_over_on):
    small = entitled(site)
    large = entitled(site)
    buy(small.pk, at(3), paid="24.00", market="120.00")  # 6 € left
    buy(large.pk, at(3), paid="5.00", market="25.00")  # 25 € left, capped at 10 €
    # November rows made before the close (e.g. by an early sale) get corrected.
    buy(small.pk, at(2, month=11), paid="1.00", market="5.00")
    buy(large.pk, at(2, month=11), paid="1.00", market="5.00")
    AllowanceMonth.objects.filter(month=NOVEMBER).update(carried_over=D("0.00"))

    result = monthly.month_close(month=OCTOBER)

    assert MonthlyStatement.objects.get(household=small).carry_over == D("6.00")
    assert MonthlyStatement.objects.get(household=large).carry_over == D("10.00")
    carried = dict(AllowanceMonth.objects.filter(month=NOVEMBER).values_list("household_id", "carried_over"))
    assert carried == {small.pk: D("6.00"), large.pk: D("10.00")}
    assert result.carried_over == 2
    # November's statement starts from what October carried.
    monthly.month_close(month=NOVEMBER)
    assert MonthlyStatement.objects.get(household=small, month=NOVEMBER).carried_in == D("6.00")


@pytest.mark.django_db
def test_carry_over_reaches_a_month_without_visit(site, carry_over_on):
    household = entitled(site)
    buy(household.pk, at(3), paid="25.00", market="125.00")
    monthly.month_close(month=OCTOBER)
    monthly.month_close(month=NOVEMBER)  # no visit in November: no allowance row
    november = MonthlyStatement.objects.get(household=household, month=NOVEMBER)
    assert november.carried_in == D("5.00")
    assert november.no_visit is True


@pytest.mark.django_db
def test_a_late_sale_moves_the_carry_over_into_the_next_month(site, carry_over_on):
    household = entitled(site)
    buy(household.pk, at(3), paid="22.00", market="110.00")
    buy(household.pk, at(2, month=11), paid="1.00", market="5.00")
    monthly.month_close(month=OCTOBER)
    assert AllowanceMonth.objects.get(household=household, month=NOVEMBER).carried_over == D("8.00")
    buy(household.pk, at(31, hour=18), paid="5.00", market="25.00")  # late October sale
    monthly.month_close(month=OCTOBER)
    assert AllowanceMonth.objects.get(household=household, month=NOVEMBER).carried_over == D("3.00")


@pytest.mark.django_db
def test_an_interrupted_close_leaves_nothing_and_the_rerun_completes(site, monkeypatch, carry_over_on):
    households = [entitled(site) for _ in range(3)]
    for household in households:
        buy(household.pk, at(3), paid="10.00", market="50.00")
        buy(household.pk, at(2, month=11), paid="1.00", market="5.00")
    AllowanceMonth.objects.filter(month=NOVEMBER).update(carried_over=D("0.00"))

    def crash(*args, **kwargs):
        raise RuntimeError("worker lost between the statements and the carry-over")

    monkeypatch.setattr(sources, "carry_over_apply", crash)
    with pytest.raises(RuntimeError):
        close_month.apply(kwargs={"month": "2026-10"}).get()
    assert MonthlyStatement.objects.count() == 0
    assert not MonthClosing.objects.exists()
    assert not Notification.objects.exists()
    assert JobRun.objects.get(task="grocery.close_month").status == JobRun.Status.FAILED

    monkeypatch.undo()
    result = close_month.apply(kwargs={"month": "2026-10"}).get()
    assert result["counts"]["created"] == 3
    assert MonthlyStatement.objects.count() == 3
    assert set(AllowanceMonth.objects.filter(month=NOVEMBER).values_list("carried_over", flat=True)) == {
        D("10.00")
    }


def _queries_for_close(site, households: int) -> int:
    for _ in range(households):
        household = entitled(site)
        buy(household.pk, at(3), paid="6.00", market="30.00")
        buy(household.pk, at(2, month=11), paid="1.00", market="5.00")
    entitled(site)  # and one who never came
    AllowanceMonth.objects.filter(month=NOVEMBER).update(carried_over=D("0.00"))  # all to correct
    with CaptureQueriesContext(connection) as queries:
        monthly.month_close(month=OCTOBER)
    return len(queries)


@pytest.mark.django_db
def test_the_query_count_does_not_depend_on_the_number_of_households(site, carry_over_on):
    small = _queries_for_close(site, 3)
    MonthlyStatement.objects.all().delete()
    MonthClosing.objects.all().delete()
    Notification.objects.all().delete()
    large = _queries_for_close(site, 25)
    assert small == large
    assert large <= 25


@pytest.mark.django_db
def test_reconcile_closes_a_missed_month_and_corrects_recent_ones(site):
    household = entitled(site)
    buy(household.pk, at(3, month=9), paid="5.00", market="25.00")
    monthly.month_close(month=datetime.date(2026, 9, 1))
    buy(household.pk, at(30, month=9), paid="2.00", market="10.00")  # late September sale
    buy(household.pk, at(3), paid="3.00", market="15.00")

    result = reconcile_closed_months.apply(kwargs={"today": "2026-11-02"}).get()

    assert result["counts"]["months"] == 2
    assert result["counts"]["corrected"] == 1 and result["counts"]["created"] == 1
    assert MonthlyStatement.objects.get(month=datetime.date(2026, 9, 1)).amount_paid == D("7.00")
    assert MonthlyStatement.objects.get(month=OCTOBER).amount_paid == D("3.00")


def test_months_are_parsed_strictly():
    assert monthly.parse_month("2026-10") == OCTOBER
    with pytest.raises(ValueError, match="AAAA-MM"):
        monthly.parse_month("10/2026")
    assert monthly.previous_month(datetime.date(2026, 1, 15)) == datetime.date(2025, 12, 1)


@pytest.mark.django_db
def test_close_month_command(site, capsys):
    household = entitled(site)
    buy(household.pk, at(3), paid="6.00", market="30.00")
    call_command("close_month", "2026-10")
    assert "households': 1" in capsys.readouterr().out
    assert MonthlyStatement.objects.filter(month=OCTOBER).count() == 1
    assert JobRun.objects.get().celery_task_id == "manual"
    with pytest.raises(CommandError, match="Mois invalide"):
        call_command("close_month", "octobre")


@pytest.mark.django_db
def test_statement_pages_are_for_ccas_and_managers(site, page, volunteer, ccas, manager):
    household = entitled(site)
    buy(household.pk, at(3), paid="6.00", market="30.00")
    monthly.month_close(month=OCTOBER)
    statement = MonthlyStatement.objects.get()
    assert page(volunteer).get("/bilans/").status_code == 403
    assert page(ccas).get("/bilans/").status_code == 200
    assert page(manager).get(f"/bilans/{statement.pk}/").status_code == 200
    assert page(ccas).get("/bilans/999999/").status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_close_already_running_elsewhere_is_skipped(site):
    household = entitled(site)
    buy(household.pk, at(3), paid="6.00", market="30.00")
    holding, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                assert try_job_lock("close_month:2026-10")
                holding.set()
                release.wait(20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(10)
        result = close_month.apply(kwargs={"month": "2026-10"}).get()
    finally:
        release.set()
        thread.join()
    assert result["status"] == "skipped"
    assert MonthlyStatement.objects.count() == 0
    assert close_month.apply(kwargs={"month": "2026-10"}).get()["status"] == "succeeded"
    assert MonthlyStatement.objects.count() == 1


@pytest.mark.django_db
def test_limit_usage_and_refunds_are_in_the_statement(site):
    from grocery.counter.services import refund_create
    from grocery.models import SaleLine
    from tests.factories.counter import LimitFactory
    from tests.factories.stock import ProductFactory

    household = entitled(site)
    oil = ProductFactory(name="Huile", market_price=D("3.00"), low_stock_threshold=D("0"))
    LimitFactory(name="Huile : 2 par mois", product=oil, quantity=D("2"))
    buy(household.pk, at(3), market="3.00", product=oil, quantity="2")
    over = buy(household.pk, at(10), market="3.00", product=oil, quantity="1")  # with a manager's override
    returned = buy(household.pk, at(12), paid="2.00", market="10.00")
    refund_create(sale_id=returned.pk, reason="Produit abîmé", destination="waste",
                  actor=over.cashier, at=at(12, hour=11))
    assert SaleLine.objects.filter(sale=returned).get().refunded_quantity == D("1")

    monthly.month_close(month=OCTOBER)

    statement = MonthlyStatement.objects.get(household=household)
    assert statement.limit_usage == [
        {"limit": statement.limit_usage[0]["limit"], "name": "Huile : 2 par mois", "allowed": "2.000",
         "used": "3.000", "over": True}
    ]
    # 3 oils at 0.60 paid; the refunded sale counts for nothing but the visit.
    assert (statement.amount_paid, statement.market_value) == (D("1.80"), D("9.00"))
    assert statement.visits == 3


@pytest.mark.django_db
def test_an_allowance_row_that_disagrees_with_the_sales_is_reported(site):
    household = entitled(site)
    buy(household.pk, at(3), paid="6.00", market="30.00")
    AllowanceMonth.objects.filter(household=household).update(spent_paid=D("60.00"))
    result = monthly.month_close(month=OCTOBER)
    assert result.allowance_mismatches == 1
    assert MonthlyStatement.objects.get(household=household).amount_paid == D("6.00")  # sales win
