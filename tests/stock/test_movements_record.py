"""The ledger: movements_record writes movements and quantities together, never below zero."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connections, transaction

from grocery.errors import DomainError
from stock.models import Lot, Movement
from stock.services import lot_receive, movements_record
from tests.factories.stock import LocationFactory, ProductFactory, make_lot


@pytest.mark.django_db
def test_receipt_creates_the_lot_and_its_movement(manager):
    lot = make_lot(quantity="12", actor=manager)
    lot.refresh_from_db()
    assert lot.quantity_on_hand == 12 and lot.initial_quantity == 12
    movement = lot.movements.get()
    assert (movement.kind, movement.quantity, movement.actor) == ("receipt", 12, manager)
    assert movement.site_id == lot.site_id and movement.product_id == lot.product_id


@pytest.mark.django_db
def test_records_many_entries_and_updates_each_lot():
    first, second = make_lot(quantity="10"), make_lot(quantity="4")
    movements = movements_record(
        entries=[(first.pk, Decimal("-3")), (second.pk, Decimal("-4")), (first.pk, Decimal("-1"))],
        kind="sale",
        document_type="sale",
        document_id="abc",
    )
    assert len(movements) == 3 and all(m.pk for m in movements)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.quantity_on_hand, second.quantity_on_hand) == (6, 0)
    assert Movement.objects.filter(document_type="sale", document_id="abc").count() == 3


@pytest.mark.django_db
def test_going_below_zero_is_out_of_stock_and_writes_nothing():
    first, second = make_lot(quantity="10"), make_lot(quantity="2")
    with pytest.raises(DomainError) as info:
        movements_record(
            entries=[(first.pk, Decimal("-1")), (second.pk, Decimal("-3"))],
            kind="sale",
            document_type="sale",
            document_id="x",
        )
    assert info.value.code == "out_of_stock" and info.value.status == 409
    assert info.value.extra == {"lot": second.pk, "available": "2.000"}
    first.refresh_from_db()
    assert first.quantity_on_hand == 10
    assert not Movement.objects.filter(document_type="sale").exists()


@pytest.mark.django_db
def test_the_database_itself_refuses_a_negative_quantity():
    lot = make_lot(quantity="1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Lot.objects.filter(pk=lot.pk).update(quantity_on_hand=Decimal("-0.001"))


@pytest.mark.django_db
def test_fractional_quantities_reach_exactly_zero():
    product = ProductFactory(unit="kg")
    lot = make_lot(product=product, quantity="0.6")
    for delta in ("-0.1", "-0.2", "-0.3"):
        movements_record(
            entries=[(lot.pk, Decimal(delta))], kind="sale", document_type="sale", document_id="1"
        )
    lot.refresh_from_db()
    assert lot.quantity_on_hand == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "quantity"), [("sale", "2"), ("receipt", "-2"), ("waste", "0"), ("refund", "0")]
)
def test_the_sign_must_fit_the_kind(kind, quantity):
    lot = make_lot(quantity="5")
    with pytest.raises(DomainError) as info:
        movements_record(entries=[(lot.pk, Decimal(quantity))], kind=kind, document_type="t", document_id="1")
    assert info.value.code == "invalid_quantity"


@pytest.mark.django_db
def test_unknown_lot_and_kind_are_refused():
    with pytest.raises(DomainError) as info:
        movements_record(entries=[(999999, Decimal("-1"))], kind="sale", document_type="t", document_id="1")
    assert info.value.code == "unknown_lot"
    with pytest.raises(DomainError) as info:
        movements_record(entries=[(1, Decimal("-1"))], kind="theft", document_type="t", document_id="1")
    assert info.value.code == "invalid_kind"


@pytest.mark.django_db
def test_movements_are_immutable():
    movement = make_lot(quantity="1").movements.get()
    movement.quantity = Decimal("5")
    with pytest.raises(ValueError):
        movement.save()
    with pytest.raises(ValueError):
        movement.delete()


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_entries(django_assert_num_queries):
    lots = [make_lot(quantity="5") for _ in range(3)]
    many = [make_lot(quantity="5") for _ in range(30)]
    # Savepoints included: lock the lots, one UPDATE, one INSERT.
    with django_assert_num_queries(7) as few_queries:
        movements_record(
            entries=[(lot.pk, Decimal("-1")) for lot in lots],
            kind="sale",
            document_type="sale",
            document_id="few",
        )
    with django_assert_num_queries(len(few_queries.captured_queries)):
        movements_record(
            entries=[(lot.pk, Decimal("-1")) for lot in many],
            kind="sale",
            document_type="sale",
            document_id="many",
        )


@pytest.mark.django_db
def test_a_lot_with_a_passed_use_by_is_refused_at_receipt(site):
    with pytest.raises(DomainError) as info:
        lot_receive(
            product=ProductFactory(),
            location=LocationFactory(site=site),
            origin="food_bank",
            quantity=Decimal("1"),
            use_by=datetime.date.today() - datetime.timedelta(days=1),
            received_on=datetime.date.today(),
            document_type="t",
            document_id="1",
        )
    assert info.value.code == "use_by_passed" and "use_by" in info.value.fields
    assert not Lot.objects.exists()


@pytest.mark.django_db
def test_a_piece_product_takes_whole_quantities(site):
    with pytest.raises(DomainError) as info:
        make_lot(product=ProductFactory(unit="piece"), quantity="1.5")
    assert info.value.code == "invalid_unit"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_never_go_below_zero_nor_lose_a_movement():
    lot = make_lot(quantity="25")
    threads_count, attempts_each = 8, 6  # 48 attempts of 1 unit on 25 units
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads_count)

    def worker(index: int):
        try:
            barrier.wait()
            for attempt in range(attempts_each):
                try:
                    movements_record(
                        entries=[(lot.pk, Decimal("-1"))],
                        kind="sale",
                        document_type="sale",
                        document_id=f"{index}-{attempt}",
                    )
                    outcome = "ok"
                except DomainError as exc:
                    outcome = exc.code
                with lock:
                    results.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lot.refresh_from_db()
    sales = Movement.objects.filter(lot=lot, kind="sale")
    assert results.count("ok") == 25
    assert set(results) == {"ok", "out_of_stock"}
    assert len(results) == threads_count * attempts_each
    assert lot.quantity_on_hand == 0
    assert sales.count() == 25
    assert sum(m.quantity for m in lot.movements.all()) == lot.quantity_on_hand
