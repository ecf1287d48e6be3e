"""Opening and closing tills: cash counted by denomination, one open session per till,
expected against counted, a manager for large differences, no closing with sales still queued."""

from decimal import Decimal

import pytest

from grocery.counter.services import cash_session_close, cash_session_open
from grocery.errors import DomainError
from grocery.models import AuditEntry, CashSession, CounterSettings
from tests.factories.counter import TillFactory, open_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(site):
    return TillFactory(site=site, name="Caisse 1")


def test_it_opens_with_the_cash_counted(api, volunteer, till):
    response = api(volunteer).post(
        "/api/v1/cash-sessions/",
        {"till": till.pk, "opening_count": {"20": 1, "0.5": 4, "2.00": 3}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["opening_total"] == "28.00"
    assert data["opening_count"] == {"20.00": 1, "2.00": 3, "0.50": 4}
    assert data["is_open"] is True and data["site"] == till.site_id
    assert AuditEntry.objects.filter(action="cash_session.open").count() == 1


def test_one_open_session_per_till(api, volunteer, till):
    open_session(till=till, opened_by=volunteer)
    response = api(volunteer).post(
        "/api/v1/cash-sessions/", {"till": till.pk, "opening_count": {}}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "session_already_open"
    assert CashSession.objects.count() == 1


def test_the_database_refuses_a_second_open_session(volunteer, till):
    from django.db import IntegrityError, transaction

    open_session(till=till, opened_by=volunteer)
    with pytest.raises(IntegrityError), transaction.atomic():
        CashSession.objects.create(
            till=till,
            opened_at=till.sessions.get().opened_at,
            opened_by=volunteer,
            opening_total=Decimal("0"),
        )


@pytest.mark.parametrize(
    ("count", "code"),
    [
        ({"3.00": 1}, "invalid_denomination"),
        ({"abc": 1}, "invalid_denomination"),
        ({"1.00": -2}, "invalid_count"),
        ({"1.00": "x"}, "invalid_count"),
        ([1, 2], "invalid_count"),
    ],
)
def test_bad_counts_are_refused_naming_the_field(volunteer, till, count, code):
    with pytest.raises(DomainError) as error:
        cash_session_open(till_id=till.pk, opening_count=count, actor=volunteer)
    assert error.value.code == code and "opening_count" in error.value.fields


def test_an_unknown_or_inactive_till(api, volunteer, till):
    assert api(volunteer).post("/api/v1/cash-sessions/", {"till": 999999}, format="json").json()["code"] == (
        "unknown_till"
    )
    till.is_active = False
    till.save()
    assert api(volunteer).post("/api/v1/cash-sessions/", {"till": till.pk}, format="json").json()["code"] == (
        "till_inactive"
    )


def _sell(api, user, shop, payments, lines=None):
    import uuid

    body = {
        "id": str(uuid.uuid4()),
        "session": shop.session.pk,
        "card": shop.card.number,
        "lines": lines or [shop.line(0, 2), shop.line(1)],
        "payments": payments,
    }
    response = api(user).post("/api/v1/sales/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


class TestClosing:
    def test_expected_cash_counts_cash_sales_and_change(self, api, volunteer, shop):
        _sell(api, volunteer, shop, [{"method": "cash", "amount": "5.00"}])  # 1.50 due, 3.50 back
        _sell(api, volunteer, shop, [{"method": "card", "amount": "1.50"}])
        response = api(volunteer).post(
            f"/api/v1/cash-sessions/{shop.session.pk}/close/",
            {"closing_count": {"20.00": 2, "1.00": 11, "0.50": 1}, "pending_offline_sales": 0},
            format="json",
        )
        assert response.status_code == 200, response.json()
        data = response.json()
        assert (data["expected_cash"], data["closing_total"], data["difference"]) == (
            "51.50",
            "51.50",
            "0.00",
        )
        assert data["is_open"] is False

    def test_it_refuses_while_the_till_has_unsent_sales(self, api, volunteer, shop):
        response = api(volunteer).post(
            f"/api/v1/cash-sessions/{shop.session.pk}/close/",
            {"closing_count": {"20.00": 2, "1.00": 10}, "pending_offline_sales": 2},
            format="json",
        )
        assert response.status_code == 409
        assert response.json()["code"] == "pending_sales"
        assert "pending_offline_sales" in response.json()["fields"]
        shop.session.refresh_from_db()
        assert shop.session.is_open

    def test_a_small_difference_is_recorded_with_who_accepted_it(self, volunteer, shop):
        session = cash_session_close(
            session_id=shop.session.pk, closing_count={"20.00": 2, "1.00": 8}, actor=volunteer
        )
        assert session.difference == Decimal("-2.00")
        assert session.difference_accepted_by == volunteer

    def test_a_large_difference_needs_a_manager(self, api, volunteer, manager, shop):
        url = f"/api/v1/cash-sessions/{shop.session.pk}/close/"
        body = {"closing_count": {"20.00": 1, "1.00": 10}}
        refused = api(volunteer).post(url, body, format="json")
        assert refused.status_code == 409
        assert refused.json()["code"] == "cash_difference_needs_manager"
        assert refused.json()["difference"] == "-20.00"
        accepted = api(manager).post(url, dict(body, note="Billet manquant, signalé"), format="json")
        assert accepted.status_code == 200
        session = CashSession.objects.get()
        assert (session.difference, session.difference_accepted_by, session.closing_note) == (
            Decimal("-20.00"),
            manager,
            "Billet manquant, signalé",
        )

    def test_the_tolerance_is_a_setting(self, volunteer, shop):
        settings = CounterSettings.get_solo()
        settings.cash_difference_threshold = Decimal("25.00")
        settings.save()
        session = cash_session_close(
            session_id=shop.session.pk, closing_count={"20.00": 1, "1.00": 10}, actor=volunteer
        )
        assert session.difference == Decimal("-20.00")

    def test_a_closed_session_cannot_close_again(self, volunteer, shop):
        cash_session_close(
            session_id=shop.session.pk, closing_count={"20.00": 2, "1.00": 10}, actor=volunteer
        )
        with pytest.raises(DomainError) as error:
            cash_session_close(session_id=shop.session.pk, closing_count={}, actor=volunteer)
        assert error.value.code == "session_closed"

    def test_a_new_session_can_open_after_closing(self, volunteer, shop):
        cash_session_close(
            session_id=shop.session.pk, closing_count={"20.00": 2, "1.00": 10}, actor=volunteer
        )
        assert open_session(till=shop.till, opened_by=volunteer).is_open


def test_the_z_report(api, volunteer, manager, shop, page):
    from grocery.counter.services import refund_create

    first = _sell(api, volunteer, shop, [{"method": "cash", "amount": "5.00"}])
    _sell(api, volunteer, shop, [{"method": "cheque", "amount": "1.50"}])
    sale_line = first["lines"][1]
    from grocery.models import SaleLine

    line = SaleLine.objects.get(sale_id=first["id"], product_id=sale_line["product"])
    from grocery.counter.services import RefundLineInput

    refund_create(
        sale_id=first["id"],
        lines=[RefundLineInput(line.pk, Decimal("1"))],
        reason="Abîmé",
        destination="waste",
        session_id=shop.session.pk,
        actor=manager,
    )
    cash_session_close(session_id=shop.session.pk, closing_count={"20.00": 2, "1.00": 11}, actor=volunteer)
    data = api(volunteer).get(f"/api/v1/cash-sessions/{shop.session.pk}/z-report/").json()
    assert data["sales_count"] == 2 and data["households"] == 1
    assert data["receipts"] == {"first": 1, "last": 2}
    assert data["payments"] == {"cash": "5.00", "card": "0.00", "cheque": "1.50"}
    assert (data["market_value"], data["paid"], data["savings"]) == ("15.00", "3.00", "12.00")
    assert data["change_given"] == "3.50"
    assert data["refunds"] == {"count": 1, "amount": "0.50", "market_value": "2.50", "cash": "0.50"}
    # 50 opening + 5 cash − 3.50 change − 0.50 refunded in cash = 51.00, as counted
    assert (data["cash"]["expected"], data["cash"]["counted"], data["cash"]["difference"]) == (
        "51.00",
        "51.00",
        "0.00",
    )
    html = page(volunteer).get(f"/caisse/sessions/{shop.session.pk}/rapport-z/")
    assert html.status_code == 200
    text = html.content.decode()
    assert "Rapport de clôture" in text and "51,00" in text


def test_session_lists_filter_and_do_not_grow_in_queries(api, volunteer, site, django_assert_max_num_queries):
    tills = [TillFactory(site=site, name=f"Caisse {n}") for n in range(5)]
    for till in tills:
        open_session(till=till, opened_by=volunteer)
    client = api(volunteer)
    with django_assert_max_num_queries(5):
        data = client.get("/api/v1/cash-sessions/", {"is_open": "true", "site": site.pk}).json()
    assert data["count"] == 5
    with django_assert_max_num_queries(5):
        tills_data = client.get("/api/v1/tills/", {"site": site.pk}).json()
    assert all(t["open_session"] for t in tills_data["results"])
