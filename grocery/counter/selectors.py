"""Reads of the counter shared by the API, the pages and the sale service: rules in force,
cash expected in a drawer, the Z report, sale lists, the till's catalogue snapshot, and what the
card lookup shows of a household's limits."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

from django.db.models import Count, DecimalField, Max, Min, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from grocery.models import CashSession, Limit, Payment, PricingRule, Refund, Sale, SaleLine, SaleLineLot

from . import limits as limit_rules
from . import pricing

ZERO = Decimal("0")
_MONEY = DecimalField(max_digits=12, decimal_places=2)


def _sum(expression, **kwargs):
    return Coalesce(Sum(expression, **kwargs), Value(ZERO), output_field=_MONEY)


def month_bounds(on_date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local month containing `on_date`, as aware datetimes [start, end)."""
    start = on_date.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end, dt.time.min, tzinfo=tz),
    )


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def household_persons(household) -> int:
    """How many people the household counts, for limits scaled to its size."""
    persons = getattr(household, "persons", None)
    if callable(persons):
        persons = persons()
    if persons is None:
        persons = household.members.count()
    return max(1, int(persons))


def _site_scope(site_id: int | None) -> Q:
    return Q(site__isnull=True) | Q(site_id=site_id) if site_id else Q(site__isnull=True)


def pricing_rules_for(site_id: int | None) -> list[pricing.Rule]:
    return [
        pricing.Rule(
            rate=rule.rate,
            category_id=rule.category_id,
            origin=rule.origin,
            ceiling=rule.kind == PricingRule.Kind.CEILING,
        )
        for rule in PricingRule.objects.filter(_site_scope(site_id), is_active=True)
    ]


def limit_rules_for(site_id: int | None, site_ids: list[int] | None = None) -> list[limit_rules.LimitRule]:
    scope = _site_scope(site_id)
    if site_ids:
        scope = Q(site__isnull=True) | Q(site_id__in=site_ids)
    return [
        limit_rules.LimitRule(
            id=limit.pk,
            name=limit.name,
            period=limit.period,
            quantity=limit.quantity,
            per_extra_person=limit.per_extra_person,
            max_quantity=limit.max_quantity,
            product_id=limit.product_id,
            category_id=limit.category_id,
        )
        for limit in Limit.objects.filter(scope, is_active=True)
    ]


# --- Cash sessions and the Z report ------------------------------------------------------------


def session_cash(session: CashSession) -> dict[str, Decimal]:
    """The cash that should be in the drawer: opening + cash taken − change given − cash refunds."""
    sales = Sale.objects.filter(session=session, receipt_number__isnull=False).aggregate(
        change=_sum("change_due")
    )
    cash_in = Payment.objects.filter(
        sale__session=session, sale__receipt_number__isnull=False, method=Payment.Method.CASH
    ).aggregate(total=_sum("amount"))["total"]
    cash_out = Refund.objects.filter(session=session, method=Payment.Method.CASH).aggregate(
        total=_sum("amount")
    )["total"]
    expected = session.opening_total + cash_in - sales["change"] - cash_out
    return {"cash_in": cash_in, "change": sales["change"], "cash_refunds": cash_out, "expected": expected}


def z_report(session: CashSession) -> dict:
    """The closing report of a session: what was sold, paid, given and counted."""
    sales = Sale.objects.filter(session=session, receipt_number__isnull=False)
    totals = sales.aggregate(
        count=Count("pk"),
        households=Count("household", distinct=True),
        market_value=_sum("market_value"),
        paid=_sum("paid"),
        savings=_sum("savings"),
        change=_sum("change_due"),
        first=Min("receipt_number"),
        last=Max("receipt_number"),
    )
    by_method = {method: ZERO for method in Payment.Method.values}
    for row in (
        Payment.objects.filter(sale__session=session, sale__receipt_number__isnull=False)
        .values("method")
        .annotate(total=_sum("amount"))
    ):
        by_method[row["method"]] = row["total"]
    free = SaleLine.objects.filter(
        sale__session=session, sale__receipt_number__isnull=False, is_free=True
    ).aggregate(market_value=_sum("market_value"))["market_value"]
    refunds = Refund.objects.filter(session=session).aggregate(
        refund_count=Count("pk"),
        refund_amount=_sum("amount"),
        refund_market_value=_sum("market_value"),
        refund_cash=_sum("amount", filter=Q(method=Payment.Method.CASH)),
    )
    cash = session_cash(session)
    return {
        "session": session.pk,
        "site": {"id": session.till.site_id, "name": session.till.site.name},
        "till": {"id": session.till_id, "name": session.till.name},
        "opened_at": session.opened_at,
        "opened_by": _person(session.opened_by),
        "closed_at": session.closed_at,
        "closed_by": _person(session.closed_by) if session.closed_by_id else None,
        "is_open": session.is_open,
        "sales_count": totals["count"],
        "households": totals["households"],
        "receipts": {"first": totals["first"], "last": totals["last"]},
        "market_value": totals["market_value"],
        "paid": totals["paid"],
        "savings": totals["savings"],
        "free_market_value": free,
        "payments": by_method,
        "change_given": totals["change"],
        "refunds": {
            "count": refunds["refund_count"],
            "amount": refunds["refund_amount"],
            "market_value": refunds["refund_market_value"],
            "cash": refunds["refund_cash"],
        },
        "cash": {
            "opening": session.opening_total,
            "opening_count": session.opening_count,
            "expected": session.expected_cash if not session.is_open else cash["expected"],
            "counted": session.closing_total,
            "closing_count": session.closing_count,
            "difference": session.difference,
            "accepted_by": _person(session.difference_accepted_by)
            if session.difference_accepted_by_id
            else None,
        },
    }


def _person(user) -> str:
    return user.get_full_name() or user.username


def sessions() -> QuerySet[CashSession]:
    return CashSession.objects.select_related(
        "till__site", "opened_by", "closed_by", "difference_accepted_by"
    )


# --- Sales -------------------------------------------------------------------------------------


def sales() -> QuerySet[Sale]:
    """Recorded sales with what a list or a receipt shows, in a constant number of queries."""
    return (
        Sale.objects.filter(receipt_number__isnull=False)
        .select_related("site", "session__till", "household", "cashier")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=SaleLine.objects.prefetch_related(
                    Prefetch("lots", queryset=SaleLineLot.objects.select_related("lot"))
                ),
            ),
            "payments",
            Prefetch("refunds", queryset=Refund.objects.prefetch_related("lines")),
        )
    )


def sale_summaries() -> QuerySet[Sale]:
    """Recorded sales for lists: no lines, just what a row shows."""
    return (
        Sale.objects.filter(receipt_number__isnull=False)
        .select_related("site", "session__till", "household", "cashier")
        .prefetch_related("payments")
    )


def recall_households(lot_ids) -> list[dict]:
    """The households that received goods of these lots: how much (net of refunds), when, on
    which receipts. A product recall must be answerable (one query)."""
    rows = (
        SaleLineLot.objects.filter(lot_id__in=list(lot_ids), line__sale__receipt_number__isnull=False)
        .values_list(
            "line__sale__household_id",
            "line__sale__household__display_name",
            "line__sale__household__reference",
            "line__sale__card_number",
            "line__sale__site_id",
            "line__sale__receipt_number",
            "line__sale__sold_at",
            "quantity",
            "refunded_quantity",
        )
        .order_by("line__sale__household_id", "line__sale__sold_at")
    )
    households: dict[int, dict] = {}
    for household_id, name, reference, card, site_id, number, sold_at, quantity, refunded in rows:
        entry = households.setdefault(
            household_id,
            {
                "household": household_id,
                "display_name": name,
                "reference": reference,
                "card": card,
                "quantity": ZERO,
                "receipts": [],
            },
        )
        entry["quantity"] += quantity - refunded
        entry["receipts"].append(
            {"site": site_id, "receipt_number": number, "sold_at": timezone.localtime(sold_at).isoformat()}
        )
    return [{**entry, "quantity": f"{entry['quantity']:.3f}"} for entry in households.values()]


def recall_extension(result: dict) -> None:
    """stock.selectors.RECALL_EXTENSIONS hook: name the households that received the lots."""
    result["households"] = recall_households([lot.pk for lot in result["lots"]])


# --- Card lookup --------------------------------------------------------------------------------


def card_lookup_limits(card, payload: dict) -> None:
    """CARD_LOOKUP_EXTENSIONS hook: each limit in force for the household, with what it took
    this month (from real sales) and what is left."""
    from .services import month_usage

    household = card.household
    entitlement = payload.get("entitlement") or {}
    rules = limit_rules_for(None, site_ids=entitlement.get("sites") or [])
    if not rules:
        payload["limits"] = []
        return
    today = timezone.localdate()
    usage_product, usage_category = month_usage(
        household_id=household.pk,
        on_date=today,
        product_ids={r.product_id for r in rules if r.product_id},
        category_ids={r.category_id for r in rules if r.category_id},
    )
    persons = (payload.get("household") or {}).get("persons") or household_persons(household)
    payload["limits"] = limit_rules.usage_summary(
        rules=rules,
        persons=int(persons),
        month_usage_by_product=usage_product,
        month_usage_by_category=usage_category,
    )


# --- The till's catalogue snapshot --------------------------------------------------------------


def catalogue_snapshot(site) -> dict:
    """What a till caches to scan offline: active products with barcodes, market prices,
    categories, what is in stock at the site, the pricing rules and limits, the settings that
    price a sale. `version` is a digest of the content: it changes when anything in it does."""
    from stock.models import Category, Lot, Product

    today = timezone.localdate()
    stock_by_product = dict(
        Lot.objects.filter(site=site, quantity_on_hand__gt=0)
        .filter(Q(use_by__isnull=True) | Q(use_by__gte=today))
        .values("product")
        .annotate(total=Sum("quantity_on_hand"))
        .values_list("product", "total")
    )
    products = []
    for product in Product.objects.filter(is_active=True).prefetch_related("barcodes").order_by("pk"):
        products.append(
            {
                "id": product.pk,
                "name": product.name,
                "brand": product.brand,
                "category": product.category_id,
                "unit": product.unit,
                "market_price": f"{product.market_price:.2f}",
                "barcodes": sorted(barcode.code for barcode in product.barcodes.all()),
                "available": f"{stock_by_product.get(product.pk, ZERO):.3f}",
            }
        )
    categories = [
        {"id": c.pk, "name": c.name, "given_free": c.given_free} for c in Category.objects.order_by("pk")
    ]
    rules = [
        {
            "id": r.pk,
            "name": r.name,
            "category": r.category_id,
            "origin": r.origin,
            "kind": r.kind,
            "rate": f"{r.rate:.3f}",
        }
        for r in PricingRule.objects.filter(_site_scope(site.pk), is_active=True).order_by("pk")
    ]
    quotas = [
        {
            "id": q.pk,
            "name": q.name,
            "product": q.product_id,
            "category": q.category_id,
            "period": q.period,
            "quantity": f"{q.quantity:.3f}",
            "per_extra_person": f"{q.per_extra_person:.3f}",
            "max_quantity": f"{q.max_quantity:.3f}" if q.max_quantity is not None else None,
        }
        for q in Limit.objects.filter(_site_scope(site.pk), is_active=True).order_by("pk")
    ]
    from grocery.models import CounterSettings

    settings = CounterSettings.get_solo()
    content = {
        "site": site.pk,
        "products": products,
        "categories": categories,
        "pricing_rules": rules,
        "limits": quotas,
        "origin_ceilings": {k: f"{v:.3f}" for k, v in settings.origin_ceilings().items()},
        "free_origins": sorted(pricing.FREE_ORIGINS),
    }
    version = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:20]
    return {"version": version, "generated_at": timezone.now().isoformat(), **content}
