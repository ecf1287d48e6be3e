"""On PostgreSQL: tills allocating by FEFO and recording sales at the same moment never oversell,
and take the lot that expires first while it lasts."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections, transaction

from grocery.errors import DomainError
from stock.fefo import allocate
from stock.models import Lot, Movement
from stock.services import movements_record
from tests.factories.stock import LocationFactory, ProductFactory, make_lot


def _sell(product_id, site_id, quantity, document_id):
    with transaction.atomic():
        allocations = allocate(
            product_id=product_id, site_id=site_id, quantity=quantity, on_date=datetime.date.today()
        )
        movements_record(
            entries=[(a.lot.pk, -a.quantity) for a in allocations],
            kind="sale",
            document_type="sale",
            document_id=document_id,
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_fefo_sales_never_oversell(site):
    product = ProductFactory()
    location = LocationFactory(site=site, name="Rayon")
    today = datetime.date.today()
    soon = make_lot(
        product=product, location=location, quantity="7", use_by=today + datetime.timedelta(days=2)
    )
    later = make_lot(
        product=product, location=location, quantity="8", use_by=today + datetime.timedelta(days=9)
    )
    outcomes: list[str] = []
    guard = threading.Lock()
    barrier = threading.Barrier(6)

    def till(index):
        try:
            barrier.wait()
            for attempt in range(5):  # 30 sales of 1 on 15 units
                try:
                    _sell(product.pk, site.pk, Decimal("1"), f"{index}-{attempt}")
                    outcome = "ok"
                except DomainError as exc:
                    outcome = exc.code
                with guard:
                    outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=till, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 15
    assert set(outcomes) == {"ok", "out_of_stock"}
    assert list(
        Lot.objects.filter(pk__in=[soon.pk, later.pk]).values_list("quantity_on_hand", flat=True)
    ) == [0, 0]
    assert Movement.objects.filter(kind="sale").count() == 15
    first_sales = Movement.objects.filter(kind="sale").order_by("pk")[:7]
    assert {m.lot_id for m in first_sales} == {soon.pk}  # the lot expiring first went out first
