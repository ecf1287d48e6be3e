"""The counter's use cases: open and close a cash session, record a sale, refund it, print it.

Each function is one transaction. `sale_record` is the checkout path: its lock order is always
the till's session, then the household's allowance month, then the lots (by product, then lot
id), then the site's receipt counter, so concurrent tills queue instead of deadlocking, and the
database (unique sale id, non-negative stock, one open session per till) has the last word.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from beneficiaries import selectors as beneficiary_selectors
from beneficiaries import services as beneficiary_services
from grocery.audit import log_action
from grocery.errors import Conflict, DomainError, NotFound, PermissionDenied
from grocery.models import (
    CashSession,
    CounterSettings,
    Limit,
    Payment,
    PricingRule,
    Refund,
    RefundLine,
    Sale,
    SaleLine,
    SaleLineLot,
    Till,
)
from grocery.permissions import has_capability
from stock import fefo
from stock import services as stock_services
from stock.barcodes import normalise_barcode
from stock.models import Barcode, Lot, Product, StockSettings

from . import limits as limit_rules
from . import pricing
from .cash import parse_count
from .selectors import household_persons, limit_rules_for, month_bounds, pricing_rules_for, session_cash

ZERO = Decimal("0")
QUANTITY_STEP = Decimal("0.001")


# --- Cash sessions ------------------------------------------------------------------------------


@transaction.atomic
def cash_session_open(
    *, till_id: int, opening_count: dict, actor, at: dt.datetime | None = None
) -> CashSession:
    """Open a till with the cash counted in its drawer. One open session per till (database)."""
    till = Till.objects.select_related("site").filter(pk=till_id).first()
    if till is None:
        raise NotFound.for_field("till", "Caisse introuvable.", "unknown_till")
    if not till.is_active or not till.site.is_active:
        raise Conflict.for_field("till", "Cette caisse est désactivée.", "till_inactive")
    count, total = parse_count(opening_count, field="opening_count")
    try:
        with transaction.atomic():
            session = CashSession.objects.create(
                till=till,
                opened_at=at or timezone.now(),
                opened_by=actor,
                opening_count=count,
                opening_total=total,
            )
    except IntegrityError:
        raise Conflict.for_field(
            "till",
            "Une session est déjà ouverte sur cette caisse : fermez-la d'abord.",
            "session_already_open",
        )
    log_action(actor, "cash_session.open", session, till=till.pk, opening_total=total)
    return session


@transaction.atomic
def cash_session_close(
    *,
    session_id: int,
    closing_count: dict,
    actor,
    pending_offline_sales: int = 0,
    note: str = "",
    at: dt.datetime | None = None,
) -> CashSession:
    """Close a session: count the cash, compare with what is expected, record the difference.

    Refused while the till still holds sales it has not sent (they would be lost to the Z
    report), and when the difference is above the tolerance unless a manager closes it.
    """
    session = (
        CashSession.objects.select_for_update(of=("self",))
        .select_related("till__site")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise NotFound("Session de caisse introuvable.", "unknown_session")
    if not session.is_open:
        raise Conflict("Cette session de caisse est déjà fermée.", "session_closed")
    if pending_offline_sales and pending_offline_sales > 0:
        raise Conflict.for_field(
            "pending_offline_sales",
            f"{pending_offline_sales} vente(s) de cette caisse attendent encore d'être envoyées : "
            "reconnectez la caisse et attendez leur envoi avant de fermer.",
            "pending_sales",
        )
    count, counted = parse_count(closing_count, field="closing_count")
    expected = session_cash(session)["expected"]
    difference = counted - expected
    settings = CounterSettings.get_solo()
    if abs(difference) > settings.cash_difference_threshold and not has_capability(
        actor, "cash.accept_difference"
    ):
        raise Conflict(
            f"Écart de caisse de {difference} € (attendu {expected} €, compté {counted} €) : "
            "recomptez, ou faites valider la clôture par un responsable.",
            "cash_difference_needs_manager",
            fields={"closing_count": [f"Écart de {difference} €."]},
            extra={"expected": str(expected), "counted": str(counted), "difference": str(difference)},
        )
    session.closed_at = at or timezone.now()
    session.closed_by = actor
    session.closing_count = count
    session.closing_total = counted
    session.expected_cash = expected
    session.difference = difference
    session.difference_accepted_by = actor if difference else None
    session.closing_note = note
    session.save()
    log_action(
        actor, "cash_session.close", session, expected=expected, counted=counted, difference=difference
    )
    return session


# --- Sales --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    barcode: str | None = None
    product_id: int | None = None
    quantity: Decimal | None = None
    weight: Decimal | None = None


@dataclass(frozen=True)
class PaymentInput:
    method: str
    amount: Decimal


@dataclass
class SaleResult:
    sale_id: uuid.UUID
    created: bool
    response: dict = field(default_factory=dict)


def _number(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return text


def sale_fingerprint(*, session_id, card_number, lines, payments, override_reason) -> str:
    """A digest of what a sale asks for: the same id with another digest is a conflict."""
    canonical = {
        "session": int(session_id),
        "card": (card_number or "").replace(" ", ""),
        "lines": [
            [line.barcode or "", line.product_id, _number(line.quantity), _number(line.weight)]
            for line in lines
        ],
        "payments": [[p.method, _number(p.amount)] for p in payments],
        "override_reason": (override_reason or "").strip(),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _replay(sale_id, fingerprint: str) -> SaleResult | None:
    found = Sale.objects.filter(pk=sale_id).values_list("fingerprint", "response").first()
    if found is None:
        return None
    stored_fingerprint, response = found
    if stored_fingerprint != fingerprint:
        raise Conflict.for_field(
            "id", "Cet identifiant de vente a déjà servi pour une autre vente.", "sale_conflict"
        )
    return SaleResult(sale_id=sale_id, created=False, response=response)


def sale_record(
    *,
    sale_id: uuid.UUID,
    session_id: int,
    card_number: str,
    lines: list[LineInput],
    payments: list[PaymentInput],
    actor,
    sold_at: dt.datetime | None = None,
    override_reason: str = "",
) -> SaleResult:
    """Record a sale, or answer the recorded one again when its id was already used.

    The id is the primary key and nothing looks it up first: a resubmission runs like a new
    sale, then fails on the primary key's uniqueness (waiting for the first one to commit if it
    is still running) and the answer stored with the first is returned. A resubmission refused
    on its way (the first one already took the last units, the session has closed since) is
    answered the same way when the id turns out to be recorded.
    """
    fingerprint = sale_fingerprint(
        session_id=session_id,
        card_number=card_number,
        lines=lines,
        payments=payments,
        override_reason=override_reason,
    )
    try:
        return _sale_record_new(
            sale_id=sale_id,
            session_id=session_id,
            card_number=card_number,
            lines=lines,
            payments=payments,
            actor=actor,
            sold_at=sold_at,
            override_reason=override_reason,
            fingerprint=fingerprint,
        )
    except (IntegrityError, DomainError):
        replay = _replay(sale_id, fingerprint)
        if replay is not None:
            return replay
        raise


def _line_error(index: int, error: DomainError, field_name: str = "lines") -> DomainError:
    """The same refusal, naming the line it is about."""
    error.extra = {**error.extra, "line": index}
    if not error.fields:
        error.fields = {field_name: {str(index): [error.message]}}
    return error


@dataclass
class _Line:
    index: int
    product: Product
    quantity: Decimal
    allocations: list = field(default_factory=list)  # (lot, quantity, past_best_before, rate)
    price: pricing.LinePrice | None = None


def _resolve_products(lines: list[LineInput]) -> list[tuple[int, Product, Decimal]]:
    """Lines → (index, product, quantity), with the products fetched in two queries at most."""
    codes: dict[int, str] = {}
    for index, line in enumerate(lines):
        if line.barcode:
            try:
                codes[index] = normalise_barcode(line.barcode)
            except DomainError as error:
                raise _line_error(index, error)
        elif not line.product_id:
            raise _line_error(index, DomainError("Indiquez un code-barres ou un produit.", "invalid_line"))
    by_code = {}
    if codes:
        by_code = {
            barcode.code: barcode.product
            for barcode in Barcode.objects.filter(code__in=set(codes.values())).select_related(
                "product__category"
            )
        }
    product_ids = {line.product_id for line in lines if not line.barcode}
    by_id = Product.objects.select_related("category").in_bulk(product_ids) if product_ids else {}
    resolved = []
    for index, line in enumerate(lines):
        if line.barcode:
            product = by_code.get(codes[index])
            if product is None:
                raise _line_error(
                    index, NotFound(f"Code-barres inconnu : {line.barcode}.", "unknown_barcode")
                )
        else:
            product = by_id.get(line.product_id)
            if product is None:
                raise _line_error(index, NotFound("Produit introuvable.", "unknown_product"))
        if not product.is_active:
            raise _line_error(index, Conflict(f"« {product.name} » n'est plus en vente.", "product_inactive"))
        resolved.append((index, product, _quantity(index, line, product)))
    return resolved


def _quantity(index: int, line: LineInput, product: Product) -> Decimal:
    by_piece = product.unit == Product.Unit.PIECE
    if line.weight is not None and line.quantity is not None:
        raise _line_error(
            index, DomainError("Indiquez une quantité ou un poids, pas les deux.", "invalid_quantity")
        )
    if line.weight is not None and by_piece:
        raise _line_error(
            index,
            DomainError(
                f"« {product.name} » se vend à la pièce : indiquez une quantité, pas un poids.",
                "invalid_quantity",
            ),
        )
    amount = line.weight if line.weight is not None else line.quantity
    if amount is None:
        amount = Decimal("1")
    amount = Decimal(amount)
    if not amount.is_finite() or amount <= 0:
        raise _line_error(index, DomainError("La quantité doit être supérieure à zéro.", "invalid_quantity"))
    if by_piece and amount != amount.to_integral_value():
        raise _line_error(
            index,
            DomainError(
                f"« {product.name} » se vend à la pièce : quantité entière attendue.", "invalid_quantity"
            ),
        )
    if amount != amount.quantize(QUANTITY_STEP) or amount >= Decimal("1000000"):
        raise _line_error(index, DomainError("Quantité invalide (au plus 3 décimales).", "invalid_quantity"))
    return amount


def _next_receipt_number(site_id: int) -> int:
    """Take the site's next receipt number: one statement, the row stays locked until commit."""
    table = Sale._meta.app_label + "_receiptsequence"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (site_id, last_number) VALUES (%s, 1) "  # noqa: S608 - fixed table name
            f"ON CONFLICT (site_id) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [site_id],
        )
        return cursor.fetchone()[0]


@transaction.atomic
def _sale_record_new(
    *, sale_id, session_id, card_number, lines, payments, actor, sold_at, override_reason, fingerprint
) -> SaleResult:
    now = timezone.now()
    sold_at = sold_at or now
    if sold_at > now + dt.timedelta(minutes=5):
        raise DomainError.for_field("sold_at", "La date de vente est dans le futur.", "invalid_sold_at")
    if not lines:
        raise DomainError.for_field("lines", "La vente ne contient aucun article.", "empty_sale")
    override_reason = (override_reason or "").strip()
    if override_reason and not has_capability(actor, "limit.override"):
        raise PermissionDenied.for_field(
            "override_reason", "Seul un responsable peut accorder un dépassement.", "override_not_allowed"
        )

    # The till's session, locked so that it cannot close while this sale is being recorded.
    session = (
        CashSession.objects.select_for_update(of=("self",), no_key=True)
        .select_related("till__site")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise NotFound.for_field("session", "Session de caisse introuvable.", "unknown_session")
    if not session.is_open:
        raise Conflict.for_field("session", "Cette session de caisse est fermée.", "session_closed")
    if session.opened_at > sold_at:
        raise DomainError.for_field(
            "sold_at", "La vente est antérieure à l'ouverture de la caisse.", "invalid_sold_at"
        )
    site = session.till.site

    try:
        card = beneficiary_selectors.card_resolve(card_number)
    except DomainError as error:
        error.fields = {"card": [error.message]}  # the sale's field is "card", not "number"
        raise
    household = card.household

    on_date = timezone.localdate(sold_at)
    entitlement, entitlement_any_site = beneficiary_selectors.entitlements_active_on(
        household_id=household.pk, on_date=on_date, site_id=site.pk
    )
    if entitlement is None:
        raise Conflict.for_field(
            "card",
            f"Ce foyer n'a pas de droit d'accès actif le {on_date:%d/%m/%Y} dans cette épicerie.",
            "entitlement_inactive",
        )
    month = beneficiary_services.allowance_month_lock_held(
        household_id=household.pk, on_date=on_date, entitlement=entitlement_any_site
    )

    resolved = _resolve_products(lines)
    settings = CounterSettings.get_solo()
    rules = pricing_rules_for(site.pk)
    quotas = limit_rules_for(site.pk)

    # First-expired-first-out, the lots of every product locked by one statement in id order.
    sale_lines = [
        _Line(index=index, product=product, quantity=quantity) for index, product, quantity in resolved
    ]
    by_product: dict[int, list[_Line]] = defaultdict(list)
    for line in sale_lines:
        by_product[line.product.pk].append(line)
    allocations = allocate_products(
        wanted={pid: sum((line.quantity for line in group), ZERO) for pid, group in by_product.items()},
        first_line={pid: group[0].index for pid, group in by_product.items()},
        site_id=site.pk,
        on_date=on_date,
    )
    for product_id, product_lines in by_product.items():
        _split_allocations(product_lines, allocations[product_id])

    # Prices, line by line, portion by portion (the rate can depend on each lot's origin).
    base_rate = Decimal(entitlement.participation_rate)
    ceilings = settings.origin_ceilings()
    for line in sale_lines:
        category = line.product.category
        portions = []
        for index, (lot, quantity, past, _rate) in enumerate(line.allocations):
            rate = pricing.rate_for(
                base_rate=base_rate,
                category_id=category.pk if category else None,
                origin=lot.origin,
                given_free=bool(category and category.given_free),
                rules=rules,
                origin_ceilings=ceilings,
            )
            line.allocations[index] = (lot, quantity, past, rate)
            portions.append(pricing.Portion(quantity=quantity, rate=rate))
        line.price = pricing.price_line(market_price=line.product.market_price, portions=portions)

    market_value = sum((line.price.market_value for line in sale_lines), ZERO)
    paid = sum((line.price.price_paid for line in sale_lines), ZERO)

    # Limits, visits and allowance, checked under the household's lock.
    overrides = _check_quotas(
        sale_lines=sale_lines,
        quotas=quotas,
        settings=settings,
        household=household,
        month=month,
        on_date=on_date,
        sale_id=sale_id,
        overriding=bool(override_reason),
    )
    basis = month.basis  # the month row's basis is what `remaining` is counted in
    allowance_used = paid if basis == "paid" else market_value
    remaining_before = Decimal(month.remaining)
    shortfall = limit_rules.allowance_shortfall(remaining=remaining_before, amount=allowance_used)
    if shortfall:
        if not override_reason:
            raise Conflict(
                f"Montant autorisé dépassé de {shortfall} € (reste {remaining_before} € ce mois-ci).",
                "allowance_exceeded",
                fields={"lines": [f"Dépassement de {shortfall} €."]},
                extra={
                    "remaining": str(remaining_before),
                    "requested": str(allowance_used),
                    "over_by": str(shortfall),
                },
            )
        overrides.append({"code": "allowance_exceeded", "over_by": str(shortfall)})

    payment_inputs = [p for p in payments if p.amount]
    for index, payment in enumerate(payment_inputs):
        if payment.method not in Payment.Method.values or payment.amount < 0:
            raise DomainError.for_field(
                "payments", "Paiement invalide.", "invalid_payment", extra={"payment": index}
            )
    try:
        settlement = pricing.settle_payments(
            total=paid, payments=[(p.method, p.amount) for p in payment_inputs]
        )
    except ValueError as error:
        if str(error) == "change_without_cash":
            raise DomainError.for_field(
                "payments",
                "Un paiement par carte ou chèque ne peut pas dépasser le montant dû.",
                "payment_exceeds_total",
            )
        received = sum((p.amount for p in payment_inputs), ZERO)
        raise DomainError.for_field(
            "payments",
            f"Les paiements ({received} €) ne couvrent pas le total ({paid} €).",
            "payment_insufficient",
            extra={"total": str(paid), "received": str(received)},
        )

    # Everything is decided: write it, in bulk. The sale's insert is where a resubmission of
    # the same id stops (primary key), after waiting for the first one if it is still running.
    receipt_number = _next_receipt_number(site.pk)
    response = _sale_response(
        sale_id=sale_id,
        receipt_number=receipt_number,
        site=site,
        session=session,
        sold_at=sold_at,
        household=household,
        sale_lines=sale_lines,
        market_value=market_value,
        paid=paid,
        payments=payment_inputs,
        change_due=settlement.change_due,
        basis=basis,
        remaining=remaining_before - allowance_used,
        overrides=overrides,
    )
    sale = Sale.objects.create(
        id=sale_id,
        site=site,
        session=session,
        household=household,
        card_number=card.number,
        entitlement=entitlement,
        allowance_month=month,
        allowance_basis=basis,
        sold_at=sold_at,
        cashier=actor,
        receipt_number=receipt_number,
        fingerprint=fingerprint,
        market_value=market_value,
        paid=paid,
        savings=market_value - paid,
        change_due=settlement.change_due,
        allowance_used=allowance_used,
        override_reason=override_reason if overrides else "",
        overridden_by=actor if overrides else None,
        overrides=overrides,
        response=response,
    )
    line_rows = SaleLine.objects.bulk_create(
        [
            SaleLine(
                sale=sale,
                position=line.index,
                product=line.product,
                category=line.product.category,
                name=line.product.name,
                unit=line.product.unit,
                quantity=line.quantity,
                market_price=line.product.market_price,
                rate=line.price.rate,
                market_value=line.price.market_value,
                price_paid=line.price.price_paid,
                saving=line.price.saving,
                is_free=line.price.is_free,
                past_best_before=any(a[2] for a in line.allocations),
            )
            for line in sale_lines
        ]
    )
    SaleLineLot.objects.bulk_create(
        [
            SaleLineLot(line=row, lot=lot, quantity=quantity, rate=rate, past_best_before=past)
            for row, line in zip(line_rows, sale_lines, strict=True)
            for lot, quantity, past, rate in line.allocations
        ]
    )
    entries: dict[int, Decimal] = defaultdict(lambda: ZERO)
    taken_lots = {}
    for line in sale_lines:
        for lot, quantity, _past, _rate in line.allocations:
            entries[lot.pk] -= quantity
            taken_lots[lot.pk] = lot
    # The lots were locked by allocate_products and the allocation never exceeds what they hold.
    stock_services.movements_record_locked(
        locked_lots=taken_lots.values(),
        entries=sorted(entries.items()),
        kind="sale",
        document_type="sale",
        document_id=str(sale_id),
        actor=actor,
        at=sold_at,
    )
    if payment_inputs:
        Payment.objects.bulk_create(
            [Payment(sale=sale, method=p.method, amount=p.amount) for p in payment_inputs]
        )
    beneficiary_services.allowance_month_record(
        month=month, paid=paid, market=market_value, visit=True, at=sold_at
    )
    log_action(
        actor,
        "sale.record",
        sale,
        receipt_number=receipt_number,
        paid=paid,
        market_value=market_value,
        overrides=overrides,
        override_reason=override_reason if overrides else "",
    )
    return SaleResult(sale_id=sale_id, created=True, response=response)


def allocate_products(
    *, wanted: dict[int, Decimal], first_line: dict[int, int], site_id: int, on_date: dt.date
) -> dict[int, list[fefo.Allocation]]:
    """First-expired-first-out for all the products of a sale at once.

    The rules are stock.fefo's (never past the use-by date, past best-before only within the
    tolerance, earliest date first); what differs from calling `fefo.allocate` per product is
    that the candidate lots of every product are read and locked by one statement, in lot id
    order, so a sale costs one query here whatever its number of lines, and two tills lock
    in the same order. `out_of_stock` names the first line of the product short of stock.
    """
    settings = StockSettings.get_solo()
    widest = max(settings.ddm_tolerance_days, settings.ddm_month_tolerance_days)
    candidates = (
        Lot.objects.select_for_update(of=("self",))
        .filter(product_id__in=list(wanted), site_id=site_id, quantity_on_hand__gt=0)
        .filter(
            Q(use_by__isnull=True) | Q(use_by__gte=on_date),
            Q(best_before__isnull=True) | Q(best_before__gte=on_date - dt.timedelta(days=widest)),
        )
        .order_by("pk")
    )
    lots_by_product: dict[int, list] = defaultdict(list)
    for lot in candidates:
        if fefo.is_distributable(lot, on_date, settings):
            lots_by_product[lot.product_id].append(lot)
    result: dict[int, list[fefo.Allocation]] = {}
    for product_id in sorted(wanted, key=lambda pid: first_line[pid]):
        quantity = wanted[product_id]
        lots = sorted(lots_by_product.get(product_id, []), key=_fefo_order)
        available = sum((lot.quantity_on_hand for lot in lots), ZERO)
        if available < quantity:
            raise _line_error(
                first_line[product_id],
                Conflict(
                    f"Stock insuffisant : {available.normalize():f} disponible(s), "
                    f"{quantity.normalize():f} demandé(s).",
                    "out_of_stock",
                    extra={"available": str(available)},
                ),
            )
        allocations, remaining = [], quantity
        for lot in lots:
            if remaining <= 0:
                break
            taken = min(lot.quantity_on_hand, remaining)
            allocations.append(
                fefo.Allocation(
                    lot=lot,
                    quantity=taken,
                    past_best_before=lot.best_before is not None and lot.best_before < on_date,
                )
            )
            remaining -= taken
        result[product_id] = allocations
    return result


def _fefo_order(lot):
    """stock.fefo's order: earliest use-by (or best-before) first, undated last, then oldest."""
    expiry = lot.use_by or lot.best_before
    return (expiry is None, expiry or dt.date.max, lot.received_on, lot.pk)


def _split_allocations(product_lines: list[_Line], allocations) -> None:
    """Share one product's allocations among the lines that asked for it, in line order."""
    queue = [
        [allocation.lot, Decimal(allocation.quantity), allocation.past_best_before]
        for allocation in allocations
    ]
    for line in product_lines:
        needed = line.quantity
        while needed > 0 and queue:
            lot, available, past = queue[0]
            taken = min(needed, available)
            line.allocations.append((lot, taken, past, ZERO))
            needed -= taken
            queue[0][1] -= taken
            if queue[0][1] <= 0:
                queue.pop(0)
        if needed > 0:  # fefo.allocate gives all or refuses; this would be a bug in it
            raise Conflict("Stock insuffisant.", "out_of_stock", extra={"line": line.index})


def _check_quotas(
    *, sale_lines, quotas, settings, household, month, on_date, sale_id, overriding
) -> list[dict]:
    """Refuse (or, with an override, record) what goes beyond the limits and visit frequency."""
    overrides: list[dict] = []
    visit_rule = limit_rules.VisitRule(
        min_days_between=settings.min_days_between_visits, max_per_month=settings.max_visits_per_month
    )
    if visit_rule.min_days_between or visit_rule.max_per_month:
        last_visit_on = None
        if visit_rule.min_days_between:
            last = (
                Sale.objects.filter(household=household, receipt_number__isnull=False)
                .exclude(pk=sale_id)
                .order_by("-sold_at")
                .values_list("sold_at", flat=True)
                .first()
            )
            last_visit_on = timezone.localdate(last) if last else None
        refusal = limit_rules.visit_refusal(
            rule=visit_rule, last_visit_on=last_visit_on, visits_this_month=month.visits, today=on_date
        )
        if refusal:
            message = (
                f"Ce foyer est déjà passé il y a moins de {visit_rule.min_days_between} jours."
                if refusal == "visit_too_soon"
                else f"Ce foyer a déjà fait ses {visit_rule.max_per_month} passages du mois."
            )
            if not overriding:
                raise Conflict.for_field("card", message, refusal)
            overrides.append({"code": refusal})

    demands = [
        limit_rules.Demand(
            index=line.index,
            product_id=line.product.pk,
            category_id=line.product.category_id,
            quantity=line.quantity,
        )
        for line in sale_lines
    ]
    concerned = [rule for rule in quotas if any(rule.covers(d.product_id, d.category_id) for d in demands)]
    if not concerned:
        return overrides
    persons = household_persons(household)
    usage_product, usage_category = {}, {}
    if any(rule.period == limit_rules.PER_MONTH for rule in concerned):
        usage_product, usage_category = month_usage(
            household_id=household.pk,
            on_date=on_date,
            product_ids={r.product_id for r in concerned if r.product_id},
            category_ids={r.category_id for r in concerned if r.category_id},
        )
    breaches = limit_rules.check_limits(
        demands=demands,
        rules=concerned,
        persons=persons,
        month_usage_by_product=usage_product,
        month_usage_by_category=usage_category,
    )
    for breach in breaches:
        if not overriding:
            period = "par passage" if breach.rule.period == limit_rules.PER_VISIT else "ce mois-ci"
            raise Conflict(
                f"Limite « {breach.rule.name} » dépassée : {breach.allowed} autorisé(s) {period}, "
                f"déjà pris {breach.already_taken}, demandé {breach.requested}.",
                "limit_exceeded",
                fields={"lines": {str(breach.line): [f"Limite « {breach.rule.name} » dépassée."]}},
                extra={
                    "line": breach.line,
                    "limit": breach.rule.id,
                    "allowed": f"{breach.allowed:.3f}",
                    "already_taken": f"{breach.already_taken:.3f}",
                    "requested": f"{breach.requested:.3f}",
                },
            )
        overrides.append(
            {
                "code": "limit_exceeded",
                "limit": breach.rule.id,
                "name": breach.rule.name,
                "line": breach.line,
                "over_by": str(breach.over_by),
            }
        )
    return overrides


def month_usage(*, household_id: int, on_date: dt.date, product_ids=(), category_ids=()) -> tuple[dict, dict]:
    """What the household took this month (net of refunds), by product and by category: one query."""
    start, end = month_bounds(on_date)
    rows = (
        SaleLine.objects.filter(
            sale__household_id=household_id,
            sale__sold_at__gte=start,
            sale__sold_at__lt=end,
            sale__receipt_number__isnull=False,
        )
        .filter(Q(product_id__in=list(product_ids)) | Q(category_id__in=list(category_ids)))
        .values("product_id", "category_id")
        .annotate(taken=Sum(F("quantity") - F("refunded_quantity")))
    )
    return limit_rules.usage_totals((row["product_id"], row["category_id"], row["taken"]) for row in rows)


def _money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _sale_response(
    *,
    sale_id,
    receipt_number,
    site,
    session,
    sold_at,
    household,
    sale_lines,
    market_value,
    paid,
    payments,
    change_due,
    basis,
    remaining,
    overrides,
) -> dict:
    return {
        "id": str(sale_id),
        "receipt_number": receipt_number,
        "site": site.pk,
        "till": session.till_id,
        "session": session.pk,
        "sold_at": timezone.localtime(sold_at).isoformat(),
        "household": {"display_name": _display_name(household)},
        "lines": [
            {
                "product": line.product.pk,
                "name": line.product.name,
                "quantity": f"{line.quantity:.3f}",
                "unit": line.product.unit,
                "market_price": _money(line.product.market_price),
                "rate": f"{line.price.rate:.3f}",
                "line_market_value": _money(line.price.market_value),
                "price_paid": _money(line.price.price_paid),
                "saving": _money(line.price.saving),
                "free": line.price.is_free,
                "past_best_before": any(a[2] for a in line.allocations),
                "lots": [
                    {
                        "lot": lot.pk,
                        "quantity": f"{quantity:.3f}",
                        "rate": f"{rate:.3f}",
                        "origin": lot.origin,
                        "use_by": lot.use_by.isoformat() if lot.use_by else None,
                        "best_before": lot.best_before.isoformat() if lot.best_before else None,
                        "past_best_before": past,
                    }
                    for lot, quantity, past, rate in line.allocations
                ],
            }
            for line in sale_lines
        ],
        "totals": {
            "market_value": _money(market_value),
            "paid": _money(paid),
            "savings": _money(market_value - paid),
        },
        "payments": [{"method": p.method, "amount": _money(p.amount)} for p in payments],
        "change_due": _money(change_due),
        "allowance_basis": basis,
        "remaining_allowance": _money(remaining),
        "overrides": overrides,
    }


def _display_name(household) -> str:
    name = getattr(household, "display_name", None)
    return str(name() if callable(name) else name or household)


# --- Refunds ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundLineInput:
    sale_line_id: int
    quantity: Decimal


@transaction.atomic
def refund_create(
    *,
    sale_id,
    reason: str,
    destination: str,
    actor,
    lines: list[RefundLineInput] | None = None,
    session_id: int | None = None,
    method: str = Payment.Method.CASH,
    at: dt.datetime | None = None,
) -> Refund:
    """Give back some or all lines of a sale: money back, goods back to stock (or to waste) by
    movements, the allowance of the sale's month restored."""
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError.for_field("reason", "Indiquez le motif du remboursement.", "reason_required")
    if destination not in Refund.Destination.values:
        raise DomainError.for_field(
            "destination", "Destination invalide (stock ou rebut).", "invalid_destination"
        )
    if method not in Payment.Method.values:
        raise DomainError.for_field("method", "Moyen de remboursement invalide.", "invalid_payment")
    sale = (
        Sale.objects.select_for_update(of=("self",)).filter(pk=sale_id, receipt_number__isnull=False).first()
    )
    if sale is None:
        raise NotFound("Vente introuvable.", "unknown_sale")
    session = None
    if session_id is not None:
        session = CashSession.objects.select_related("till").filter(pk=session_id).first()
        if session is None or not session.is_open:
            raise Conflict.for_field("session", "Cette session de caisse est fermée.", "session_closed")
        if session.till.site_id != sale.site_id:
            raise DomainError.for_field("session", "Cette caisse est dans une autre épicerie.", "wrong_site")

    sale_lines = {line.pk: line for line in sale.lines.prefetch_related("lots__lot")}
    refunded_amounts = dict(
        RefundLine.objects.filter(sale_line__sale=sale)
        .values("sale_line")
        .annotate(amount=Sum("amount"))
        .values_list("sale_line", "amount")
    )
    if lines is None:
        lines = [
            RefundLineInput(sale_line_id=line.pk, quantity=line.quantity - line.refunded_quantity)
            for line in sale_lines.values()
            if line.quantity > line.refunded_quantity
        ]
    if not lines:
        raise Conflict("Cette vente a déjà été entièrement remboursée.", "already_refunded")

    refund_rows, movement_entries, lot_updates, line_updates = [], defaultdict(lambda: ZERO), [], []
    amount_total = market_total = ZERO
    seen = set()
    for index, item in enumerate(lines):
        line = sale_lines.get(item.sale_line_id)
        if line is None or item.sale_line_id in seen:
            raise DomainError.for_field(
                "lines",
                "Cette ligne n'appartient pas à la vente.",
                "unknown_sale_line",
                extra={"line": index},
            )
        seen.add(item.sale_line_id)
        quantity = Decimal(item.quantity)
        refundable = line.quantity - line.refunded_quantity
        if quantity <= 0 or quantity != quantity.quantize(QUANTITY_STEP):
            raise DomainError.for_field(
                "lines", "Quantité à rembourser invalide.", "invalid_quantity", extra={"line": index}
            )
        if quantity > refundable:
            raise Conflict.for_field(
                "lines",
                f"Au plus {refundable} à rembourser sur « {line.name} ».",
                "refund_exceeds_sale",
                extra={"line": index},
            )
        if quantity == refundable:  # the rest: exactly what is left, so the cents add up
            amount = line.price_paid - refunded_amounts.get(line.pk, ZERO)
        else:
            amount = pricing.round_money(line.price_paid * quantity / line.quantity)
        market = pricing.round_money(line.market_price * quantity)
        amount_total += amount
        market_total += market
        refund_rows.append(RefundLine(sale_line=line, quantity=quantity, amount=amount, market_value=market))
        line.refunded_quantity += quantity
        line_updates.append(line)
        # Goods go back to the lots they came from, the last taken first.
        left = quantity
        for allocation in reversed(list(line.lots.all())):
            back = min(left, allocation.quantity - allocation.refunded_quantity)
            if back > 0:
                allocation.refunded_quantity += back
                lot_updates.append(allocation)
                movement_entries[allocation.lot_id] += back
                left -= back
            if left <= 0:
                break

    # The household's month before the lots, in the sale path's order: no deadlock with a sale.
    month = beneficiary_services.allowance_month_lock(
        household_id=sale.household_id, on_date=timezone.localdate(sale.sold_at)
    )
    refund = Refund.objects.create(
        sale=sale,
        session=session,
        at=at,
        actor=actor,
        reason=reason,
        destination=destination,
        method=method,
        amount=amount_total,
        market_value=market_total,
        allowance_restored=amount_total if sale.allowance_basis == "paid" else market_total,
    )
    for row in refund_rows:
        row.refund = refund
    RefundLine.objects.bulk_create(refund_rows)
    SaleLine.objects.bulk_update(line_updates, ["refunded_quantity"])
    SaleLineLot.objects.bulk_update(lot_updates, ["refunded_quantity"])
    entries = sorted(movement_entries.items())
    stock_services.movements_record(
        entries=entries,
        kind="refund",
        document_type="refund",
        document_id=str(refund.pk),
        actor=actor,
        reason=reason,
        at=at,
    )
    if destination == Refund.Destination.WASTE:
        stock_services.movements_record(
            entries=[(lot_id, -quantity) for lot_id, quantity in entries],
            kind="waste",
            document_type="refund",
            document_id=str(refund.pk),
            actor=actor,
            reason=reason,
            at=at,
        )
    beneficiary_services.allowance_month_record(
        month=month, paid=-amount_total, market=-market_total, visit=False, at=at
    )
    log_action(
        actor,
        "sale.refund",
        sale,
        refund=refund.pk,
        amount=amount_total,
        reason=reason,
        destination=destination,
        lines=[(r.sale_line_id, r.quantity) for r in refund_rows],
    )
    return refund


# --- Receipts -----------------------------------------------------------------------------------


def receipt_printed(*, sale_id) -> int:
    """Count one more print of a receipt; returns how many there were before (0: the original)."""
    with transaction.atomic():
        sale = (
            Sale.objects.select_for_update(of=("self",)).filter(pk=sale_id).values_list("print_count").first()
        )
        if sale is None:
            raise NotFound("Vente introuvable.", "unknown_sale")
        Sale.objects.filter(pk=sale_id).update(print_count=F("print_count") + 1)
    return sale[0]


# --- Tills, pricing rules and limits (managers) ---------------------------------------------------


def _save_validated(instance, actor, action: str, values: dict):
    from django.core.exceptions import ValidationError

    for name, value in values.items():
        setattr(instance, name, value)
    try:
        instance.full_clean()
    except ValidationError as error:
        fields = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
        raise DomainError("Données invalides.", "invalid", fields=fields)
    created = instance.pk is None
    instance.save()
    log_action(actor, f"{action}.{'create' if created else 'update'}", instance, **values)
    return instance


@transaction.atomic
def till_save(*, till: Till | None, actor, **values) -> Till:
    return _save_validated(till or Till(), actor, "till", values)


@transaction.atomic
def pricing_rule_save(*, instance: PricingRule | None, actor, **values) -> PricingRule:
    rule = instance or PricingRule()
    merged = {"category": rule.category if rule.pk else None, "origin": rule.origin, **values}
    if merged["category"] is None and not merged["origin"]:
        raise DomainError.for_field(
            "category", "Choisissez une catégorie ou une origine de lots.", "rule_without_target"
        )
    return _save_validated(rule, actor, "pricing_rule", values)


@transaction.atomic
def pricing_rule_delete(*, instance: PricingRule, actor) -> None:
    log_action(actor, "pricing_rule.delete", instance, name=instance.name)
    instance.delete()


@transaction.atomic
def limit_save(*, instance: Limit | None, actor, **values) -> Limit:
    limit = instance or Limit()
    product = values.get("product", limit.product if limit.pk else None)
    category = values.get("category", limit.category if limit.pk else None)
    if (product is None) == (category is None):
        raise DomainError.for_field(
            "product", "Une limite porte soit sur un produit, soit sur une catégorie.", "limit_target"
        )
    return _save_validated(limit, actor, "limit", values)


@transaction.atomic
def limit_delete(*, instance: Limit, actor) -> None:
    log_action(actor, "limit.delete", instance, name=instance.name)
    instance.delete()
