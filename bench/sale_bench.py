"""Benchmark of the counter: barcode lookups in a large catalogue, and recording 10-line sales
through the service and through the HTTP API (a real gunicorn server), with 1 and N concurrent
clients, on SQLite and on PostgreSQL; on PostgreSQL it also runs the raw-SQL floor
(shared/bench/sale_floor.py) in the same run and reports the service's share of it.

Run on demand, never in the test suite (see the README, "Counter benchmark"):

    createdb -h 127.0.0.1 -U root epicerie_counter_bench     # once
    .venv/bin/python bench/sale_bench.py --postgres postgresql://root@127.0.0.1:5432/epicerie_counter_bench

It DROPS AND RECREATES every table of the PostgreSQL database it is given (the name must contain
"bench"), and uses a throw-away SQLite file. Targets: barcode lookup p95 <= 5 ms with 100,000
products; service throughput >= 40 % of the raw-SQL floor with one client on PostgreSQL; HTTP p95
<= 25 ms with one client; N clients with no error but intended refusals.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(latencies_ms: list[float], wall_s: float, errors: dict) -> dict:
    done = len(latencies_ms)
    return {
        "sales": done,
        "per_second": round(done / wall_s, 1) if wall_s else 0,
        "p50_ms": round(statistics.median(latencies_ms), 2) if latencies_ms else None,
        "p95_ms": round(percentile(latencies_ms, 0.95), 2) if latencies_ms else None,
        "errors": errors,
    }


# --- Worker: one database, Django loaded against it ---------------------------------------------


def reset_database(url: str) -> None:
    if url.startswith("postgres"):
        import psycopg

        name = url.rsplit("/", 1)[-1].split("?")[0]
        if "bench" not in name:
            sys.exit(f"Refusing to wipe the database {name!r}: its name must contain 'bench'.")
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    else:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_data(args) -> dict:
    """A site with a big catalogue, stock for the products sold, households with cards."""
    import datetime as dt

    from django.contrib.auth.models import Group
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from stdnum import luhn

    from beneficiaries.models import Card, Entitlement, Household, Member
    from grocery.counter.services import cash_session_open
    from grocery.models import Site, Till, User
    from grocery.permissions import Role
    from stock.barcodes import with_check_digit
    from stock.models import Barcode, Category, Location, Lot, Product

    site = Site.objects.create(name="Épicerie du banc d'essai", code="bench")
    volunteer = User.objects.create(username="bench", first_name="Banc")
    volunteer.groups.add(Group.objects.get(name=str(Role.VOLUNTEER)))
    token = Token.objects.create(user=volunteer).key
    location = Location.objects.create(site=site, name="Réserve")
    categories = Category.objects.bulk_create(
        [Category(name=f"Catégorie {n}", food_group="other") for n in range(20)]
    )
    batch = 5000
    for start in range(0, args.products, batch):
        stop = min(args.products, start + batch)
        products = Product.objects.bulk_create(
            [
                Product(name=f"Produit {n}", category=categories[n % 20], market_price=Decimal("2.50"))
                for n in range(start, stop)
            ]
        )
        Barcode.objects.bulk_create(
            [
                Barcode(product=product, code=with_check_digit(f"376{n:09d}"), kind="ean13")
                for n, product in zip(range(start, stop), products, strict=True)
            ]
        )
    sold = list(Product.objects.order_by("pk").values_list("pk", flat=True)[: args.sold_products])
    today = timezone.localdate()
    Lot.objects.bulk_create(
        [
            Lot(
                product_id=product_id,
                location=location,
                site=site,
                origin="purchase",
                lot_number=f"B{days}",
                use_by=today + dt.timedelta(days=days),
                initial_quantity=Decimal("1000000"),
                quantity_on_hand=Decimal("1000000"),
            )
            for product_id in sold
            for days in (10, 40)
        ]
    )
    households = Household.objects.bulk_create(
        [Household(reference=f"B-{n:05d}", display_name=f"Foyer {n}") for n in range(args.households)]
    )
    Member.objects.bulk_create(
        [
            Member(
                household=h,
                first_name="Camille",
                last_name="Banc",
                birth_date=dt.date(1980, 1, 1),
                sex="F",
                relationship="applicant",
            )
            for h in households
        ]
    )
    entitlements = Entitlement.objects.bulk_create(
        [
            Entitlement(
                household=h,
                start=today - dt.timedelta(days=5),
                end=today + dt.timedelta(days=85),
                monthly_allowance=Decimal("99999.00"),
                allowance_basis="paid",
                participation_rate=Decimal("0.200"),
                status="active",
            )
            for h in households
        ]
    )
    Entitlement.sites.through.objects.bulk_create(
        [Entitlement.sites.through(entitlement_id=e.pk, site_id=site.pk) for e in entitlements]
    )
    cards = Card.objects.bulk_create(
        [
            Card(household=h, number=f"7{n:08d}" + luhn.calc_check_digit(f"7{n:08d}"))
            for n, h in enumerate(households)
        ]
    )
    sessions = []
    for n in range(max(args.clients)):
        till = Till.objects.create(site=site, name=f"Caisse {n + 1}")
        sessions.append(cash_session_open(till_id=till.pk, opening_count={"20.00": 5}, actor=volunteer).pk)
    codes = list(Barcode.objects.values_list("code", flat=True))
    sold_codes = dict(Barcode.objects.filter(product_id__in=sold).values_list("product_id", "code"))
    return {
        "volunteer": volunteer,
        "token": token,
        "sessions": sessions,
        "cards": [c.number for c in cards],
        "all_codes": codes,
        "sold_codes": list(sold_codes.values()),
    }


def bench_lookups(data, count: int) -> dict:
    from stock.selectors import product_by_barcode

    codes = random.sample(data["all_codes"], min(count + 100, len(data["all_codes"])))
    for code in codes[:100]:  # warm-up
        product_by_barcode(code)
    latencies = []
    for code in codes[100:]:
        started = time.perf_counter()
        product_by_barcode(code)
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "lookups": len(latencies),
        "p50_ms": round(statistics.median(latencies), 3),
        "p95_ms": round(percentile(latencies, 0.95), 3),
    }


def sale_body(data, session_id: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "session": session_id,
        "card": random.choice(data["cards"]),
        "lines": [
            {"barcode": code, "quantity": str(random.randint(1, 3))}
            for code in random.sample(data["sold_codes"], 10)
        ],
        "payments": [{"method": "cash", "amount": "50.00"}],
    }


def run_clients(clients: int, per_client: int, one_sale) -> dict:
    """`one_sale(client_index)` records a sale or raises; returns the figures."""
    latencies, errors, lock = [], {}, threading.Lock()
    barrier = threading.Barrier(clients)

    def client(index):
        from django.db import connections

        barrier.wait()
        try:
            for _ in range(per_client):
                started = time.perf_counter()
                try:
                    one_sale(index)
                except Exception as error:  # noqa: BLE001 - counted and reported
                    code = getattr(error, "code", type(error).__name__)
                    with lock:
                        errors[code] = errors.get(code, 0) + 1
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(latencies, time.perf_counter() - started, errors)


def service_sale(data, index: int) -> None:
    from grocery.counter.api import sale_inputs
    from grocery.counter.services import sale_record

    body = sale_body(data, data["sessions"][index])
    parsed = {**body, "id": uuid.UUID(body["id"]), "override_reason": "", "sold_at": None}
    result = sale_record(actor=data["volunteer"], **sale_inputs(parsed))
    assert result.created


def count_sale_queries(data) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    service_sale(data, 0)  # the household's month row may be new: measure a steady sale below
    with CaptureQueriesContext(connection) as captured:
        service_sale(data, 0)
    return len(captured.captured_queries)


class Server:
    """gunicorn serving the app on a free port, against the same database."""

    def __init__(self, workers: int, threads: int):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = dict(os.environ, DEBUG="0", ALLOWED_HOSTS="127.0.0.1", LOG_LEVEL="WARNING")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "grocery.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)


def http_sale_factory(data, port: int):
    import http.client

    local = threading.local()

    def one_sale(index: int) -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = json.dumps(sale_body(data, data["sessions"][index]))
        try:
            connection.request(
                "POST",
                "/api/v1/sales/",
                body,
                headers={"Content-Type": "application/json", "Authorization": f"Token {data['token']}"},
            )
            response = connection.getresponse()
            payload = response.read()
        except (ConnectionError, http.client.HTTPException):
            local.connection = None
            raise
        if response.status != 201:
            try:
                code = json.loads(payload).get("code", response.status)
            except ValueError:
                code = response.status
            error = RuntimeError(code)
            error.code = f"http_{response.status}_{code}"
            raise error

    return one_sale


def worker(args) -> None:
    url = os.environ["DATABASE_URL"]
    reset_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    data = build_data(args)
    report = {
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "setup_s": round(time.perf_counter() - started, 1),
        "products": args.products,
    }
    report["barcode_lookup"] = bench_lookups(data, args.lookups)
    report["queries_per_10_line_sale"] = count_sale_queries(data)
    report["service"] = {}
    for clients in args.clients:
        report["service"][clients] = run_clients(
            clients, max(1, args.sales // clients), lambda index: service_sale(data, index)
        )
    if args.http:
        report["http"] = {}
        server = Server(workers=args.http_workers, threads=args.http_threads)
        try:
            one_sale = http_sale_factory(data, server.port)
            run_clients(1, 10, one_sale)  # warm-up: workers load the app, open connections
            for clients in args.clients:
                report["http"][clients] = run_clients(clients, max(1, args.http_sales // clients), one_sale)
        finally:
            server.stop()
    print("REPORT " + json.dumps(report))


# --- Parent: one worker per database, the floor, the report ------------------------------------


def find_floor(given: str | None) -> Path | None:
    candidates = (
        [given]
        if given
        else [
            ROOT.parent / "shared/bench/sale_floor.py",
            ROOT / "../../shared/bench/sale_floor.py",
            Path("/work/shared/bench/sale_floor.py"),
        ]
    )
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    return None


def run_floor(path: Path, dsn: str, sales: int, clients: list[int]) -> dict:
    output = subprocess.run(
        [
            sys.executable,
            str(path),
            "--dsn",
            dsn,
            "--sales",
            str(sales),
            "--clients",
            ",".join(map(str, clients)),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {}
    for match in re.finditer(
        r"clients=(\d+) sales=(\d+) ([\d.]+) sales/s median ([\d.]+) ms p95 ([\d.]+) ms "
        r"errors=(\d+)",
        output,
    ):
        figures[int(match[1])] = {
            "sales": int(match[2]),
            "per_second": float(match[3]),
            "p50_ms": float(match[4]),
            "p95_ms": float(match[5]),
            "errors": int(match[6]),
        }
    return figures


def run_worker(url: str, args) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--products",
        str(args.products),
        "--sales",
        str(args.sales),
        "--http-sales",
        str(args.http_sales),
        "--clients",
        ",".join(map(str, args.clients)),
        "--lookups",
        str(args.lookups),
        "--households",
        str(args.households),
        "--sold-products",
        str(args.sold_products),
        "--http-workers",
        str(args.http_workers),
        "--http-threads",
        str(args.http_threads),
    ]
    if not args.http:
        command.append("--no-http")
    env = dict(os.environ, DATABASE_URL=url, DATABASE_CONN_MAX_AGE="600")
    env.pop("REDIS_URL", None)  # the sale path never touches Redis or Celery
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"benchmark worker failed on {url}")
    line = next(line for line in completed.stdout.splitlines() if line.startswith("REPORT "))
    return json.loads(line.removeprefix("REPORT "))


def show(report: dict, floor: dict | None) -> None:
    print(f"\n== {report['database']} ({report['products']:,} products; set-up {report['setup_s']} s)")
    lookup = report["barcode_lookup"]
    print(
        f"barcode lookup       p50 {lookup['p50_ms']:.3f} ms  p95 {lookup['p95_ms']:.3f} ms  "
        f"({lookup['lookups']} lookups; target p95 <= 5 ms)"
    )
    print(f"queries per sale     {report['queries_per_10_line_sale']} for 10 lines")
    for kind in ("service", "http"):
        for clients, figures in report.get(kind, {}).items():
            print(
                f"{kind:<8} clients={clients:<2} {figures['per_second']:>7.1f} sales/s  "
                f"p50 {figures['p50_ms']:>7.2f} ms  "
                f"p95 {figures['p95_ms']:>7.2f} ms  sales={figures['sales']}  errors={figures['errors'] or 0}"
            )
    if floor:
        for clients, figures in floor.items():
            print(
                f"floor    clients={clients:<2} {figures['per_second']:>7.1f} sales/s  "
                f"p50 {figures['p50_ms']:>7.2f} ms  "
                f"p95 {figures['p95_ms']:>7.2f} ms  (raw SQL, shared/bench/sale_floor.py)"
            )
        one = report["service"].get("1") or report["service"].get(1)
        if one and 1 in floor and floor[1]["per_second"]:
            ratio = one["per_second"] / floor[1]["per_second"]
            print(f"service / floor with 1 client: {ratio:.0%} (target >= 40 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--postgres", help="PostgreSQL URL of a database to wipe (name containing 'bench')")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--sold-products", type=int, default=500)
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--sales", type=int, default=400, help="sales per service run")
    parser.add_argument("--http-sales", type=int, default=240, help="sales per HTTP run")
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--http-workers", type=int, default=4)
    parser.add_argument("--http-threads", type=int, default=2)
    parser.add_argument("--no-http", dest="http", action="store_false")
    parser.add_argument("--floor", help="path of sale_floor.py (default: ../shared/bench/sale_floor.py)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    args.clients = [int(c) for c in str(args.clients).split(",")]
    if args.worker:
        worker(args)
        return
    reports = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            reports.append((run_worker(f"sqlite:///{folder}/bench.sqlite3", args), None))
    if args.postgres:
        report = run_worker(args.postgres, args)
        floor_path = find_floor(args.floor)
        floor = run_floor(floor_path, args.postgres, args.sales, args.clients) if floor_path else None
        if floor_path is None:
            print("(shared/bench/sale_floor.py not found: no floor ratio; pass --floor)")
        reports.append((report, floor))
    for report, floor in reports:
        show(report, floor)
    if args.json:
        Path(args.json).write_text(json.dumps([{"report": r, "floor": f} for r, f in reports], indent=2))


if __name__ == "__main__":
    main()
