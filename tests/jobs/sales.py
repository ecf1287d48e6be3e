"""Test helper: real sales through the counter's service, the way an (offline) till records
them, for the monthly close and the daily jobs."""
import datetime
import uuid
from decimal import Decimal

from beneficiaries.models import Card, Entitlement
from grocery.counter.services import LineInput, PaymentInput, sale_record
from grocery.models import CashSession, Sale
from grocery.permissions import Role
from tests.factories.beneficiaries import CardFactory
from tests.factories.core import UserFactory
from tests.factories.counter import TillFactory
from tests.factories.stock import LocationFactory, ProductFactory, make_lot

#: The till's session was opened before any sale a test records.
SESSION_OPENED = datetime.datetime(2026, 1, 2, 8, 0, tzinfo=datetime.UTC)


def _cashier():
    # A manager, so a replayed offline sale over the allowance is recorded (with a reason).
    return UserFactory(username="caisse-hors-ligne", roles=[Role.MANAGER])


def _session(site, cashier) -> CashSession:
    till = TillFactory(site=site, name="Caisse hors ligne")
    session = CashSession.objects.filter(till=till, closed_at__isnull=True).first()
    if session is None:
        session = CashSession.objects.create(
            till=till, opened_at=SESSION_OPENED, opened_by=cashier, opening_count={}, opening_total=0
        )
    return session


def buy(household_id: int, at: datetime.datetime, *, paid: str | None = None, market: str,
        product=None, quantity: str = "1") -> Sale:
    """Record a sale for the household at `at`: one product of market price `market` (its
    entitlement's participation rate gives what is paid; `paid` is checked against it)."""
    entitlement = (
        Entitlement.objects.filter(household_id=household_id, start__lte=at.date(), end__gte=at.date())
        .prefetch_related("sites").order_by("-start").first()
    )
    site = entitlement.sites.all()[0]
    card = Card.objects.filter(household_id=household_id, is_active=True).first() or CardFactory(
        household_id=household_id
    )
    cashier = _cashier()
    if product is None:
        product = ProductFactory(market_price=Decimal(market), low_stock_threshold=Decimal("0"))
    location = LocationFactory(site=site, name="Réserve hors ligne")
    make_lot(product=product, location=location, quantity="50", origin="purchase")
    result = sale_record(
        sale_id=uuid.uuid4(),
        session_id=_session(site, cashier).pk,
        card_number=card.number,
        lines=[LineInput(product_id=product.pk, quantity=Decimal(quantity))],
        payments=[PaymentInput(method="cash", amount=Decimal("500.00"))],
        actor=cashier,
        sold_at=at,
        override_reason="Vente enregistrée hors ligne, rejouée",
    )
    sale = Sale.objects.get(pk=result.sale_id)
    if paid is not None:
        assert sale.paid == Decimal(paid), (sale.paid, paid)
    return sale
