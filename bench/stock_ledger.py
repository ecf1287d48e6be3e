"""Benchmark of the stock ledger: FEFO allocation + movements_record for a 10-line sale, alone
and with concurrent clients, and the stock-levels query on a demo-sized catalogue.

Runs on demand, never in the test suite. It creates and destroys its own test database (the
`test_` copy of DATABASE_URL's database), so it never touches real data:

    DATABASE_URL=postgresql://root@127.0.0.1:5432/epicerie_stock .venv/bin/python bench/stock_ledger.py \
        [--sales 500] [--clients 1,4] [--products 300]

Compare with /work/shared/bench/sale_floor.py (raw SQL floor for a whole sale).
"""
import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=int, default=500)
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--products", type=int, default=300)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        run(args)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    from grocery.models import Site
    from stock.fefo import allocate
    from stock.models import Category, Location, Lot, Product
    from stock.selectors import stock_levels
    from stock.services import lot_receive, movements_record

    site = Site.objects.create(name="Banc d'essai", code="bench")
    location = Location.objects.create(site=site, name="Rayon", kind="shop_floor")
    category = Category.objects.create(name="Banc", food_group="other")
    products = [
        Product.objects.create(name=f"Produit {n}", category=category, market_price=Decimal("2.00"))
        for n in range(args.products)
    ]
    today = date.today()
    for product in products:
        for days in (10, 40):
            lot_receive(product=product, location=location, origin="purchase", quantity=Decimal("100000"),
                        use_by=today + timedelta(days=days), document_type="bench", document_id="0")
    print(f"{Lot.objects.count()} lots, {len(products)} products on {connection.vendor}")

    def one_sale(index: int) -> float:
        picks = random.sample(products, 10)
        start = time.perf_counter()
        with transaction.atomic():
            entries = []
            for product in sorted(picks, key=lambda p: p.pk):  # same lock order in every client
                for allocation in allocate(product_id=product.pk, site_id=site.pk, quantity=Decimal("1"),
                                           on_date=today):
                    entries.append((allocation.lot.pk, -allocation.quantity))
            movements_record(entries=entries, kind="sale", document_type="bench", document_id=str(index))
        return time.perf_counter() - start

    for clients in [int(c) for c in args.clients.split(",")]:
        latencies: list[float] = []
        lock = threading.Lock()
        per_client = args.sales // clients

        def worker(offset: int, latencies=latencies, lock=lock, per_client=per_client) -> None:
            try:
                for n in range(per_client):
                    elapsed = one_sale(offset * per_client + n)
                    with lock:
                        latencies.append(elapsed)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        latencies.sort()
        print(f"{clients} client(s): {len(latencies) / wall:.0f} sales/s (10 lines: FEFO + ledger), "
              f"median {statistics.median(latencies) * 1000:.1f} ms, "
              f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f} ms")

    start = time.perf_counter()
    rows = list(stock_levels(site_id=site.pk))
    print(f"stock levels: {len(rows)} rows in {(time.perf_counter() - start) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
