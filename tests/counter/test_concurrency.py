"""Concurrent tills on PostgreSQL: many threads, each with its own connection, selling the last
units of a lot, spending one household's last euros, or replaying one sale. Exactly the sales
that fit are accepted, the others get a clear refusal; stock never goes negative, the allowance
is never exceeded, every accepted sale is complete, receipt numbers have no gaps."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connections

from beneficiaries.models import AllowanceMonth
from grocery.counter.services import LineInput, PaymentInput, sale_record
from grocery.errors import DomainError
from grocery.models import Payment, Sale, SaleLine, SaleLineLot
from stock.models import Lot, Movement
from tests.factories.counter import TillFactory, make_household, make_shop, open_session

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """Transactional tests empty the tables between tests, data migrations included."""
    from django.contrib.auth.models import Group

    from grocery.permissions import Role

    for role in Role:
        Group.objects.get_or_create(name=str(role))


def run_concurrently(jobs):
    """Run each job in its own thread, all released at once; returns results or DomainErrors."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def work(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except DomainError as error:
            results[index] = error
        except Exception as error:  # noqa: BLE001 - reported by the test, not swallowed
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def tills_with_sessions(site, volunteer, count):
    return [
        open_session(till=TillFactory(site=site, name=f"Caisse {n + 2}"), opened_by=volunteer)
        for n in range(count)
    ]


def sale_job(*, session, card, barcode, quantity, actor, sale_id=None, payment="10.00"):
    sale_id = sale_id or uuid.uuid4()

    def job():
        return sale_record(
            sale_id=sale_id,
            session_id=session.pk,
            card_number=card.number,
            lines=[LineInput(barcode=barcode, quantity=Decimal(quantity))],
            payments=[PaymentInput("cash", Decimal(payment))],
            actor=actor,
        )

    return job


def assert_complete(sale):
    """An accepted sale has its lines, lots, movements, payment and receipt number."""
    lines = SaleLine.objects.filter(sale=sale)
    assert lines.exists() and sale.receipt_number
    allocated = sum(a.quantity for a in SaleLineLot.objects.filter(line__sale=sale))
    assert allocated == sum(line.quantity for line in lines)
    moved = sum(m.quantity for m in Movement.objects.filter(document_type="sale", document_id=str(sale.pk)))
    assert moved == -allocated
    assert Payment.objects.filter(sale=sale).exists()


def test_tills_contesting_the_last_units_of_a_lot(site, volunteer):
    shop = make_shop(site=site, volunteer=volunteer, products=1, stock="5", allowance="500.00")
    sessions = tills_with_sessions(site, volunteer, 12)
    households = [make_household(site=site, allowance="500.00")[1] for _ in range(12)]
    results = run_concurrently(
        [
            sale_job(session=session, card=card, barcode=shop.barcodes[0], quantity="1", actor=volunteer)
            for session, card in zip(sessions, households, strict=True)
        ]
    )
    accepted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(accepted) == 5
    assert {getattr(r, "code", repr(r)) for r in refused} == {"out_of_stock"}
    assert Lot.objects.get(pk=shop.lots[0].pk).quantity_on_hand == Decimal("0")
    for sale in Sale.objects.all():
        assert_complete(sale)
    assert sorted(Sale.objects.values_list("receipt_number", flat=True)) == [1, 2, 3, 4, 5]


def test_tills_contesting_uneven_quantities_never_go_negative(site, volunteer):
    shop = make_shop(site=site, volunteer=volunteer, products=1, stock="7", allowance="500.00")
    sessions = tills_with_sessions(site, volunteer, 10)
    cards = [make_household(site=site, allowance="500.00")[1] for _ in range(10)]
    results = run_concurrently(
        [
            sale_job(
                session=session,
                card=card,
                barcode=shop.barcodes[0],
                quantity=str(1 + index % 3),
                actor=volunteer,
            )
            for index, (session, card) in enumerate(zip(sessions, cards, strict=True))
        ]
    )
    sold = sum(Decimal(r.response["lines"][0]["quantity"]) for r in results if not isinstance(r, Exception))
    lot = Lot.objects.get(pk=shop.lots[0].pk)
    assert lot.quantity_on_hand >= 0
    assert lot.quantity_on_hand == Decimal("7") - sold
    assert all(getattr(r, "code", None) == "out_of_stock" for r in results if isinstance(r, Exception))


def test_tills_contesting_one_households_last_euros(site, volunteer):
    # Each sale: 6 × 2.50 × 0.2 = 3.00 paid; the month allows 10.00, so three fit.
    shop = make_shop(site=site, volunteer=volunteer, products=1, stock="500", allowance="10.00")
    sessions = tills_with_sessions(site, volunteer, 10)
    results = run_concurrently(
        [
            sale_job(session=session, card=shop.card, barcode=shop.barcodes[0], quantity="6", actor=volunteer)
            for session in sessions
        ]
    )
    accepted = [r for r in results if not isinstance(r, Exception)]
    assert len(accepted) == 3
    assert {getattr(r, "code", repr(r)) for r in results if isinstance(r, Exception)} == {
        "allowance_exceeded"
    }
    month = AllowanceMonth.objects.get(household=shop.household)
    assert month.spent_paid == Decimal("9.00") <= month.allowance
    assert month.visits == 3
    assert Lot.objects.get(pk=shop.lots[0].pk).quantity_on_hand == Decimal("482")
    for sale in Sale.objects.all():
        assert_complete(sale)


def test_one_sale_replayed_fifty_times_also_concurrently(site, volunteer):
    shop = make_shop(site=site, volunteer=volunteer, products=1, stock="50", allowance="500.00")
    sale_id = uuid.uuid4()
    job = sale_job(
        session=shop.session,
        card=shop.card,
        barcode=shop.barcodes[0],
        quantity="2",
        actor=volunteer,
        sale_id=sale_id,
    )
    concurrent = run_concurrently([job] * 25)
    sequential = [job() for _ in range(25)]
    results = concurrent + sequential
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(1 for r in results if r.created) == 1
    assert all(r.response == results[0].response for r in results)
    assert Sale.objects.count() == 1
    assert Movement.objects.filter(kind="sale").count() == 1
    assert Payment.objects.count() == 1
    assert Lot.objects.get(pk=shop.lots[0].pk).quantity_on_hand == Decimal("48")
    assert AllowanceMonth.objects.get(household=shop.household).visits == 1


def test_a_reused_id_with_other_content_concurrently_is_a_conflict(site, volunteer):
    shop = make_shop(site=site, volunteer=volunteer, products=1, stock="50", allowance="500.00")
    sessions = tills_with_sessions(site, volunteer, 6)
    sale_id = uuid.uuid4()
    results = run_concurrently(
        [
            sale_job(
                session=session,
                card=shop.card,
                barcode=shop.barcodes[0],
                quantity=str(index + 1),
                actor=volunteer,
                sale_id=sale_id,
            )
            for index, session in enumerate(sessions)
        ]
    )
    accepted = [r for r in results if not isinstance(r, Exception)]
    assert len(accepted) == 1
    assert {getattr(r, "code", repr(r)) for r in results if isinstance(r, Exception)} == {"sale_conflict"}
    assert Sale.objects.count() == 1


def test_receipt_numbers_have_no_gaps_under_concurrency(site, volunteer):
    shop = make_shop(site=site, volunteer=volunteer, products=1, stock="8", allowance="500.00")
    sessions = tills_with_sessions(site, volunteer, 12)
    cards = [make_household(site=site, allowance="500.00")[1] for _ in range(12)]
    run_concurrently(
        [
            sale_job(session=session, card=card, barcode=shop.barcodes[0], quantity="1", actor=volunteer)
            for session, card in zip(sessions, cards, strict=True)
        ]
    )
    numbers = sorted(Sale.objects.values_list("receipt_number", flat=True))
    assert numbers == list(range(1, 9))


def test_two_managers_refunding_one_sale_at_once_refund_it_once(site, volunteer, manager):
    from grocery.counter.services import refund_create
    from grocery.models import Refund

    shop = make_shop(site=site, volunteer=volunteer, products=1, stock="10", allowance="500.00")
    result = sale_job(
        session=shop.session, card=shop.card, barcode=shop.barcodes[0], quantity="4", actor=volunteer
    )()
    sessions = tills_with_sessions(site, volunteer, 4)
    results = run_concurrently(
        [
            (
                lambda session=session: refund_create(
                    sale_id=result.sale_id,
                    reason="Retour",
                    destination="stock",
                    session_id=session.pk,
                    actor=manager,
                )
            )
            for session in sessions
        ]
    )
    assert sum(1 for r in results if isinstance(r, Refund)) == 1
    assert {getattr(r, "code", repr(r)) for r in results if not isinstance(r, Refund)} == {"already_refunded"}
    assert Lot.objects.get(pk=shop.lots[0].pk).quantity_on_hand == Decimal("10")
    assert AllowanceMonth.objects.get(household=shop.household).spent_paid == Decimal("0.00")
