"""Demo data of the counter, for `manage.py seed_demo`: tills at every site, a few pricing rules
and limits, and at the first site a closed cash session with sales recorded through the service
(when the stock and beneficiaries demo data give products in stock and households with a card).

Idempotent: tills, rules and limits are found by name; the session and its sales are made only
while the demo till has none, and the sales have fixed ids, so a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from grocery.errors import DomainError
from grocery.models import DENOMINATIONS, CounterSettings, Limit, PricingRule, Till

from . import services
from .selectors import session_cash

DEMO_NAMESPACE = uuid.UUID("5b1f5c1e-8a36-4c39-9d0e-6f1d3c0de0a1")


def seed(ctx) -> None:
    CounterSettings.get_solo()
    for site in ctx.sites:
        Till.objects.get_or_create(site=site, name="Caisse 1")
    if ctx.sites:
        Till.objects.get_or_create(site=ctx.sites[0], name="Caisse 2")
    _pricing_rules()
    _limits()
    if ctx.sites and "benevole" in ctx.users:
        _closed_session_with_sales(ctx)


def _pricing_rules() -> None:
    from stock.models import Category

    PricingRule.objects.get_or_create(
        name="Ramasse en magasin : 10 % au plus",
        defaults={"origin": "store_pickup", "kind": PricingRule.Kind.CEILING, "rate": Decimal("0.100")},
    )
    hygiene = Category.objects.filter(food_group=Category.FoodGroup.HYGIENE).order_by("pk").first()
    if hygiene is not None:
        PricingRule.objects.get_or_create(
            name=f"{hygiene.name} : 30 %",
            defaults={"category": hygiene, "kind": PricingRule.Kind.FIXED, "rate": Decimal("0.300")},
        )


def _limits() -> None:
    from stock.models import Category, Product

    for word, quantity, extra, period in (
        ("huile", "1", "1", Limit.Period.MONTH),
        ("café", "1", "0", Limit.Period.VISIT),
    ):
        product = Product.objects.filter(name__istartswith=word, is_active=True).order_by("pk").first()
        if product is not None:
            Limit.objects.get_or_create(
                name=f"{product.name} : limite",
                defaults={
                    "product": product,
                    "period": period,
                    "quantity": Decimal(quantity),
                    "per_extra_person": Decimal(extra),
                    "max_quantity": Decimal("4"),
                },
            )
    baby = Category.objects.filter(food_group=Category.FoodGroup.BABY).order_by("pk").first()
    if baby is not None:
        Limit.objects.get_or_create(
            name=f"{baby.name} : 6 par mois et par enfant",
            defaults={
                "category": baby,
                "period": Limit.Period.MONTH,
                "quantity": Decimal("6"),
                "per_extra_person": Decimal("6"),
                "max_quantity": Decimal("24"),
            },
        )


def _closed_session_with_sales(ctx) -> None:
    from beneficiaries.models import Card, Entitlement
    from stock.models import Lot

    site = ctx.sites[0]
    volunteer = ctx.users["benevole"]
    till = Till.objects.get(site=site, name="Caisse 1")
    if till.sessions.exists():
        return
    today = timezone.localdate()
    cards = list(
        Card.objects.filter(
            is_active=True,
            household__entitlements__status=Entitlement.Status.ACTIVE,
            household__entitlements__sites=site,
            household__entitlements__start__lte=today,
            household__entitlements__end__gte=today,
        )
        .distinct()
        .order_by("pk")[:3]
    )
    product_ids = list(
        Lot.objects.filter(
            site=site, quantity_on_hand__gte=3, product__is_active=True, product__barcodes__isnull=False
        )
        .filter(Q(use_by__isnull=True) | Q(use_by__gte=today + dt.timedelta(days=2)))
        .filter(Q(best_before__isnull=True) | Q(best_before__gte=today))
        .values_list("product_id", flat=True)
        .distinct()
        .order_by("product_id")[:8]
    )
    if not cards or not product_ids:
        ctx.log.append("Caisse : pas de foyer ou de produit en stock, pas de ventes de démonstration.")
        return
    opened_at = timezone.now() - dt.timedelta(hours=3)
    session = services.cash_session_open(
        till_id=till.pk, opening_count={"20.00": 2, "5.00": 2, "1.00": 5}, actor=volunteer, at=opened_at
    )
    recorded = 0
    for index, card in enumerate(cards):
        picks = product_ids[index % len(product_ids) :][:3] or product_ids[:3]
        try:
            services.sale_record(
                sale_id=uuid.uuid5(DEMO_NAMESPACE, f"{site.code}-{index}"),
                session_id=session.pk,
                card_number=card.number,
                lines=[
                    services.LineInput(product_id=product_id, quantity=Decimal("1")) for product_id in picks
                ],
                payments=[services.PaymentInput("cash", Decimal("10.00"))],
                actor=volunteer,
                sold_at=opened_at + dt.timedelta(minutes=20 * (index + 1)),
            )
            recorded += 1
        except DomainError as error:
            ctx.log.append(f"Caisse : vente de démonstration refusée ({error.code}).")
    counted = session_cash(session)["expected"]
    services.cash_session_close(
        session_id=session.pk,
        closing_count=_as_denominations(counted),
        actor=volunteer,
        note="Clôture de démonstration",
        at=opened_at + dt.timedelta(hours=2),
    )
    ctx.log.append(f"Caisse : session de démonstration fermée avec {recorded} vente(s).")


def _as_denominations(amount: Decimal) -> dict[str, int]:
    """An amount as the fewest notes and coins (greedy works for euros)."""
    count: dict[str, int] = {}
    left = amount
    for denomination in DENOMINATIONS:
        value = Decimal(denomination)
        number = int(left // value)
        if number:
            count[denomination] = number
            left -= value * number
    return count
