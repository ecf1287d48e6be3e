# ruff: noqa: E501 - long SQL lines read better unbroken
"""Benchmark of the monthly close on PostgreSQL: time and query count for N households and M
sale lines (default 20,000 households, 1,000,000 lines in 100,000 sales).

    createdb epicerie_bench     # once; the script empties and refills the tables it uses
    .venv/bin/python bench/close_month_bench.py [--dsn postgresql://root@127.0.0.1:5432/epicerie_bench]
                                               [--households 20000] [--lines 1000000]

Data is generated server-side with set-based SQL (INSERT … SELECT generate_series), then the
close runs three times: the first close (every statement created), a rerun with nothing new
(idempotent: nothing written), and a rerun after 1,000 late offline sales (corrections). Run on
demand only; never point it at a database that matters (it migrates it and truncates tables).
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MONTH = "2026-10-01"
LINES_PER_SALE = 10
PRODUCTS = 500


def setup_django(dsn: str) -> None:
    os.environ["DATABASE_URL"] = dsn
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def sql(statement: str, params=None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def generate(households: int, lines: int) -> dict:
    from decimal import Decimal

    from django.db import connection, transaction

    from beneficiaries.models import BeneficiarySettings
    from grocery.models import CashSession, Limit, Site, Till, User
    from stock.models import Category, Product

    started = time.perf_counter()
    sales = lines // LINES_PER_SALE
    buyers = max(1, int(households * 0.9))  # one household in ten never comes (non-recours)
    with transaction.atomic():
        sql("""TRUNCATE grocery_statementcorrection, grocery_monthlystatement, grocery_monthclosing,
               grocery_notificationread, grocery_notification, grocery_jobrun,
               grocery_refundline, grocery_refund, grocery_salelinelot, grocery_saleline, grocery_payment,
               grocery_sale, grocery_limit, beneficiaries_allowancemonth, beneficiaries_entitlement_sites,
               beneficiaries_card, beneficiaries_member, beneficiaries_entitlement, beneficiaries_household
               CASCADE""")
        sites = [Site.objects.get_or_create(code=f"bench{n}", defaults={"name": f"Banc {n}"})[0]
                 for n in range(2)]
        cashier, _ = User.objects.get_or_create(username="bench-cashier")
        sessions = []
        for site in sites:
            till, _ = Till.objects.get_or_create(site=site, name="Banc")
            session = CashSession.objects.filter(till=till, closed_at__isnull=True).first()
            if session is None:
                session = CashSession.objects.create(
                    till=till, opened_at="2026-01-01T08:00:00Z", opened_by=cashier, opening_count={},
                    opening_total=0,
                )
            sessions.append(session)
        category, _ = Category.objects.get_or_create(name="Banc", defaults={"food_group": "starches"})
        existing = list(Product.objects.filter(category=category).order_by("pk").values_list("pk", flat=True))
        if len(existing) < PRODUCTS:
            Product.objects.bulk_create([
                Product(name=f"Produit banc {n}", category=category,
                        market_price=Decimal("1.00") + Decimal("0.25") * (n % 20))
                for n in range(len(existing), PRODUCTS)
            ])
        first_product = Product.objects.filter(category=category).order_by("pk").values_list("pk", flat=True)[0]
        for n in range(5):  # monthly limits on five products
            Limit.objects.create(name=f"Limite banc {n}", product_id=first_product + n, quantity=Decimal("4"),
                                 per_extra_person=Decimal("1"))
        settings = BeneficiarySettings.get_solo()
        settings.carry_over, settings.carry_over_cap = True, Decimal("10.00")
        settings.save()

        sql("""INSERT INTO beneficiaries_household (id, reference, display_name, phone, email, address,
                   postcode, city, notes, consent_text_version, created_at)
               SELECT h, 'BENCH-' || h, 'Foyer ' || h, '', '', '', '14000', 'Caen', '', '', now()
               FROM generate_series(1, %s) h""", [households])
        sql("""INSERT INTO beneficiaries_member (first_name, last_name, birth_date, sex, relationship,
                   has_disability, is_migrant, is_homeless, household_id)
               SELECT 'Membre', 'Banc', date '1980-01-01', 'U', 'applicant', false, false, false, h
               FROM generate_series(1, %s) h, generate_series(1, 1 + h %% 3) m""", [households])
        sql("""INSERT INTO beneficiaries_entitlement (id, start, "end", monthly_allowance, allowance_basis,
                   participation_rate, status, renewal_number, override_reason, status_reason, created_at,
                   household_id)
               SELECT h, date '2026-09-01', date '2026-12-31', 30 + 5 * (h %% 5),
                      CASE WHEN h %% 10 = 0 THEN 'market' ELSE 'paid' END, 0.200, 'active', 0, '', '', now(), h
               FROM generate_series(1, %s) h""", [households])
        sql("""INSERT INTO beneficiaries_entitlement_sites (entitlement_id, site_id)
               SELECT h, %s FROM generate_series(1, %s) h""", [sites[0].pk, households])
        sql("""INSERT INTO grocery_sale (id, card_number, allowance_basis, sold_at, recorded_at, receipt_number,
                   fingerprint, market_value, paid, savings, change_due, allowance_used, override_reason,
                   overrides, response, print_count, cashier_id, entitlement_id, household_id, session_id,
                   site_id)
               SELECT md5('sale' || s)::uuid, '', 'paid',
                      timestamptz '2026-10-01 08:00:00+02' + (s %% 30) * interval '1 day'
                          + (s %% 9) * interval '1 hour',
                      now(), s / 2 + 1, '', 0, 0, 0, 0, 0, '', '[]', '{}', 0, %s,
                      1 + s %% %s, 1 + s %% %s,
                      CASE WHEN s %% 2 = 0 THEN %s ELSE %s END, CASE WHEN s %% 2 = 0 THEN %s ELSE %s END
               FROM generate_series(0, %s - 1) s""",
            [cashier.pk, buyers, buyers, sessions[0].pk, sessions[1].pk, sites[0].pk, sites[1].pk, sales])
        sql("""INSERT INTO grocery_saleline (position, name, unit, quantity, market_price, rate, market_value,
                   price_paid, saving, is_free, past_best_before, refunded_quantity, category_id, product_id,
                   sale_id)
               SELECT pos, 'Produit', 'piece', 1, p.market_price, 0.200, p.market_price,
                      round(p.market_price * 0.2, 2), p.market_price - round(p.market_price * 0.2, 2),
                      false, false, 0, p.category_id, p.id, md5('sale' || s)::uuid
               FROM generate_series(0, %s - 1) s
               CROSS JOIN generate_series(1, %s) pos
               JOIN stock_product p ON p.id = %s + (s * 7 + pos) %% %s""",
            [sales, LINES_PER_SALE, first_product, PRODUCTS])
        sql("""UPDATE grocery_sale s SET market_value = t.market, paid = t.paid, savings = t.market - t.paid,
                   allowance_used = t.paid
               FROM (SELECT sale_id, sum(market_value) market, sum(price_paid) paid FROM grocery_saleline
                     GROUP BY sale_id) t
               WHERE t.sale_id = s.id""")
        sql("""INSERT INTO grocery_refund (at, reason, destination, method, amount, market_value,
                   allowance_restored, actor_id, sale_id)
               SELECT timestamptz '2026-10-29 10:00:00+01', 'Banc', 'stock', 'cash', 0.20, 1.00, 0.20, %s,
                      md5('sale' || s)::uuid
               FROM generate_series(0, 999) s""", [cashier.pk])
        # The running totals the till keeps, consistent with the sales (net of refunds).
        sql("""INSERT INTO beneficiaries_allowancemonth (month, basis, allowance, carried_over, spent_paid,
                   spent_market, visits, last_visit_at, entitlement_id, household_id)
               SELECT date %s, e.allowance_basis, e.monthly_allowance, 0,
                      coalesce(t.paid, 0) - coalesce(r.amount, 0), coalesce(t.market, 0) - coalesce(r.market, 0),
                      coalesce(t.visits, 0), t.last_visit, e.id, e.household_id
               FROM beneficiaries_entitlement e
               LEFT JOIN (SELECT household_id, sum(paid) paid, sum(market_value) market, count(*) visits,
                                 max(sold_at) last_visit FROM grocery_sale GROUP BY household_id) t
                      ON t.household_id = e.household_id
               LEFT JOIN (SELECT s.household_id, sum(r.amount) amount, sum(r.market_value) market
                          FROM grocery_refund r JOIN grocery_sale s ON s.id = r.sale_id
                          GROUP BY s.household_id) r ON r.household_id = e.household_id""", [MONTH])
        # November already begun for a quarter of the households: their carry-over gets set.
        sql("""INSERT INTO beneficiaries_allowancemonth (month, basis, allowance, carried_over, spent_paid,
                   spent_market, visits, entitlement_id, household_id)
               SELECT date '2026-11-01', allowance_basis, monthly_allowance, 0, 0, 0, 0, id, household_id
               FROM beneficiaries_entitlement WHERE id %% 4 = 0""")
        for table in ("beneficiaries_household", "beneficiaries_entitlement"):
            sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"sales": sales, "households": households, "seconds": time.perf_counter() - started, "first_product": first_product,
            "cashier": cashier.pk, "session": sessions[0].pk, "site": sites[0].pk}


def late_sales(info: dict, count: int = 1000) -> None:
    """Offline sales of 31 October that arrive after the close (one line each)."""
    from django.db import transaction

    with transaction.atomic():
        sql("""INSERT INTO grocery_sale (id, card_number, allowance_basis, sold_at, recorded_at, receipt_number,
                   fingerprint, market_value, paid, savings, change_due, allowance_used, override_reason,
                   overrides, response, print_count, cashier_id, household_id, session_id, site_id)
               SELECT md5('late' || s)::uuid, '', 'paid', timestamptz '2026-10-31 17:00:00+01', now(),
                      1000000 + s, '', 5.00, 1.00, 4.00, 0, 1.00, '', '[]', '{}', 0, %s, 1 + (s * 7) %% %s, %s,
                      %s
               FROM generate_series(0, %s - 1) s""",
            [info["cashier"], info["households"], info["session"], info["site"], count])
        sql("""INSERT INTO grocery_saleline (position, name, unit, quantity, market_price, rate, market_value,
                   price_paid, saving, is_free, past_best_before, refunded_quantity, product_id, sale_id)
               SELECT 1, 'Produit', 'piece', 1, 5.00, 0.200, 5.00, 1.00, 4.00, false, false, 0, %s,
                      md5('late' || s)::uuid
               FROM generate_series(0, %s - 1) s""", [info["first_product"] + 100, count])
        # The till adds each sale to the household's running total of the month.
        sql("""UPDATE beneficiaries_allowancemonth a SET spent_paid = spent_paid + t.paid,
                   spent_market = spent_market + t.market, visits = visits + t.n
               FROM (SELECT household_id, sum(paid) paid, sum(market_value) market, count(*) n
                     FROM grocery_sale WHERE id IN (SELECT md5('late' || s)::uuid FROM generate_series(0, %s - 1) s)
                     GROUP BY household_id) t
               WHERE a.household_id = t.household_id AND a.month = date %s""", [count, MONTH])


def timed_close(label: str) -> dict:
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from grocery.jobs.monthly import month_close

    reverse("statement_list")  # load the URL configuration once, as a running worker has
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = month_close(month=datetime.date.fromisoformat(MONTH))
        seconds = time.perf_counter() - started
    counts = result.counts()
    print(f"{label:<34} {seconds:7.2f} s  {len(queries):4d} queries  "
          f"created={counts['created']} corrected={counts['corrected']} unchanged={counts['unchanged']} "
          f"overruns={counts['overruns']} no_visit={counts['no_visit']} carried={counts['carried_over']} "
          f"mismatches={counts['allowance_mismatches']}")
    if os.environ.get("BENCH_VERBOSE"):
        for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:5]:
            print(f"    {float(query['time']):6.3f} s  {query['sql'][:110]}")
    return {"seconds": seconds, "queries": len(queries), **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default="postgresql://root@127.0.0.1:5432/epicerie_bench")
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_django(args.dsn)
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL (--dsn postgresql://…).")
    info = generate(args.households, args.lines)
    print(f"PostgreSQL {connection.pg_version}; {args.households} households, {args.lines} sale lines "
          f"in {info['sales']} sales; data generated in {info['seconds']:.1f} s")
    timed_close("first close")
    timed_close("rerun, nothing new (idempotent)")
    late_sales(info)
    timed_close("rerun after 1,000 late sales")


if __name__ == "__main__":
    main()
