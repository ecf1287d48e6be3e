"""Use cases that write beneficiaries' data: one function per thing a person (or the till)
does, each in one transaction, each refusing bad input with a coded DomainError."""

import random
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grocery.audit import log_action
from grocery.errors import Conflict, DomainError

from . import cards as card_numbers
from . import dbconstraints
from .dates import add_months, first_of_month
from .models import AllowanceMonth, BeneficiarySettings, Card, Entitlement, Household
from .selectors import entitlement_active_on, entitlements_overlapping

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def _money(
    value, field: str, *, allow_negative: bool = False, maximum: Decimal = Decimal("99999999")
) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except Exception:  # noqa: BLE001 - any unparsable value is the same error
        raise DomainError.for_field(field, _("Montant invalide."), "invalid_amount") from None
    if not amount.is_finite() or abs(amount) > maximum:
        raise DomainError.for_field(field, _("Montant invalide."), "invalid_amount")
    if amount < 0 and not allow_negative:
        raise DomainError.for_field(field, _("Le montant ne peut pas être négatif."), "invalid_amount")
    return amount


# --- Entitlements ----------------------------------------------------------------------------


def _lock_household(household_id: int) -> Household:
    """Serialise writes on one household's entitlements (the DB guard is the last resort)."""
    return Household.objects.select_for_update().get(pk=household_id)


def _check_rate(rate) -> Decimal:
    try:
        rate = Decimal(str(rate))
    except Exception:  # noqa: BLE001
        raise DomainError.for_field("participation_rate", _("Taux invalide."), "invalid_rate") from None
    if not rate.is_finite() or rate < 0 or rate > 1:
        raise DomainError.for_field(
            "participation_rate",
            _("Le taux de participation doit être compris entre 0 et 1."),
            "invalid_rate",
        )
    return rate.quantize(Decimal("0.001"))


@transaction.atomic
def entitlement_create(
    *,
    household: Household,
    sites: Iterable,
    start: date,
    end: date | None = None,
    monthly_allowance: Decimal,
    allowance_basis: str | None = None,
    participation_rate: Decimal | None = None,
    actor=None,
    renewal_of: Entitlement | None = None,
    override_reason: str = "",
    issue_card: bool = True,
    **extra,
) -> Entitlement:
    """Open an entitlement for a household. Refuses an end before the start and any overlap
    with an entitlement in force (`entitlement_overlap`, 409). Issues a card if the household
    has none."""
    settings = BeneficiarySettings.get_solo()
    sites = list(sites)
    if not sites:
        raise DomainError.for_field("sites", _("Choisissez au moins une épicerie."), "sites_required")
    if end is None:
        from .dates import period_end

        end = period_end(start, settings.period_months)
    if end < start:
        raise DomainError.for_field("end", _("La date de fin précède la date de début."), "invalid_dates")
    allowance = _money(monthly_allowance, "monthly_allowance", maximum=Decimal("100000"))
    rate = _check_rate(settings.participation_rate if participation_rate is None else participation_rate)
    basis = allowance_basis or settings.allowance_basis
    if basis not in ("paid", "market"):
        raise DomainError.for_field("allowance_basis", _("Base de montant inconnue."), "invalid")
    _lock_household(household.pk)
    if entitlements_overlapping(household_id=household.pk, start=start, end=end).exists():
        raise Conflict.for_field(
            "start",
            _("Ce foyer a déjà un droit d'accès en cours sur cette période."),
            "entitlement_overlap",
        )
    try:
        with transaction.atomic():
            entitlement = Entitlement.objects.create(
                household=household,
                start=start,
                end=end,
                monthly_allowance=allowance,
                allowance_basis=basis,
                participation_rate=rate,
                renewal_of=renewal_of,
                renewal_number=(renewal_of.renewal_number + 1) if renewal_of else 0,
                override_reason=override_reason,
                created_by=actor if actor is not None and actor.is_authenticated else None,
                **extra,
            )
    except IntegrityError as exc:
        if dbconstraints.is_overlap_error(exc):
            raise Conflict.for_field(
                "start",
                _("Ce foyer a déjà un droit d'accès en cours sur cette période."),
                "entitlement_overlap",
            ) from None
        raise
    entitlement.sites.set(sites)
    log_action(
        actor,
        "entitlement.create",
        entitlement,
        household=household.pk,
        start=start,
        end=end,
        monthly_allowance=allowance,
        participation_rate=rate,
        override_reason=override_reason,
    )
    if issue_card and not household.cards.filter(is_active=True).exists():
        card_issue(household=household, actor=actor)
    return entitlement


# --- Cards -----------------------------------------------------------------------------------


@transaction.atomic
def card_issue(*, household: Household, actor=None, rng: random.Random | None = None) -> Card:
    """A first card for the household (refused if it already has an active one)."""
    _lock_household(household.pk)
    if household.cards.filter(is_active=True).exists():
        raise Conflict(
            _("Ce foyer a déjà une carte active : utilisez « Remplacer la carte »."), "card_already_active"
        )
    card = _new_card(household, actor, rng)
    log_action(actor, "card.issue", card, household=household.pk)
    return card


def _new_card(household: Household, actor, rng) -> Card:
    for _attempt in range(20):
        number = card_numbers.generate_number(rng)
        if not Card.objects.filter(number=number).exists():
            try:
                with transaction.atomic():
                    return Card.objects.create(
                        household=household,
                        number=number,
                        issued_by=actor if actor is not None and actor.is_authenticated else None,
                    )
            except IntegrityError:
                continue
    raise Conflict(_("Impossible d'attribuer un numéro de carte, réessayez."), "card_number_exhausted")


@transaction.atomic
def card_reissue(*, card: Card, actor=None, reason: str = "", rng: random.Random | None = None) -> Card:
    """Replace a card (lost, damaged): the old number stops working at once."""
    _lock_household(card.household_id)
    card = Card.objects.select_for_update().get(pk=card.pk)
    if not card.is_active:
        raise Conflict(_("Cette carte n'est plus active."), "card_inactive")
    card.is_active = False
    card.deactivated_at = timezone.now()
    card.deactivation_reason = reason or _("Carte remplacée")
    card.save(update_fields=["is_active", "deactivated_at", "deactivation_reason"])
    new_card = _new_card(card.household, actor, rng)
    card.replaced_by = new_card
    card.save(update_fields=["replaced_by"])
    log_action(
        actor, "card.reissue", new_card, household=card.household_id, replaces=card.number, reason=reason
    )
    return new_card


# --- Allowance months (used by the counter inside its sale transaction) ----------------------


def _carry_over(household_id: int, month: date, settings: BeneficiarySettings) -> Decimal:
    if not settings.carry_over:
        return ZERO
    previous = AllowanceMonth.objects.filter(household_id=household_id, month=add_months(month, -1)).first()
    if previous is None:
        return ZERO
    return max(ZERO, min(previous.remaining, settings.carry_over_cap))


@transaction.atomic
def allowance_month_lock(*, household_id: int, on_date: date) -> AllowanceMonth:
    """The household's row for the month of `on_date`, created if needed and locked
    (SELECT … FOR UPDATE) until the caller's transaction ends.

    Creation is race-safe: two tills creating the same month meet on the unique constraint
    (household, month); the loser's savepoint rolls back and it locks the winner's row. The
    allowance comes from the entitlement active on that date; if the entitlement in force has
    changed since the row was made (a renewal mid-month), the row follows the new one. Raises
    Conflict `entitlement_inactive` when there is no row yet and no active entitlement.
    """
    month = first_of_month(on_date)
    queryset = AllowanceMonth.objects.select_for_update()
    row = queryset.filter(household_id=household_id, month=month).first()
    entitlement = entitlement_active_on(household_id=household_id, on_date=on_date)
    if row is None:
        if entitlement is None:
            raise Conflict(_("Ce foyer n'a pas de droit d'accès actif à cette date."), "entitlement_inactive")
        settings = BeneficiarySettings.get_solo()
        try:
            with transaction.atomic():
                AllowanceMonth.objects.create(
                    household_id=household_id,
                    month=month,
                    entitlement=entitlement,
                    basis=entitlement.allowance_basis,
                    allowance=entitlement.monthly_allowance,
                    carried_over=_carry_over(household_id, month, settings),
                )
        except IntegrityError:
            pass  # another till created it first: lock theirs
        row = queryset.get(household_id=household_id, month=month)
    elif entitlement is not None and row.entitlement_id != entitlement.pk:
        row.entitlement = entitlement
        row.basis = entitlement.allowance_basis
        row.allowance = entitlement.monthly_allowance
        row.save(update_fields=["entitlement", "basis", "allowance"])
    return row


def allowance_month_record(
    *, month: AllowanceMonth, paid: Decimal, market: Decimal, visit: bool, at: datetime | None = None
) -> AllowanceMonth:
    """Add a sale (positive amounts) or a refund (negative) to a month row locked by
    `allowance_month_lock` in the same transaction. One UPDATE with F() expressions; the
    instance's fields are brought up to date without reading the row again (it is locked)."""
    paid = Decimal(paid).quantize(CENT)
    market = Decimal(market).quantize(CENT)
    at = at or timezone.now()
    changes = {"spent_paid": F("spent_paid") + paid, "spent_market": F("spent_market") + market}
    if visit:
        changes["visits"] = F("visits") + 1
        changes["last_visit_at"] = at
    AllowanceMonth.objects.filter(pk=month.pk).update(**changes)
    month.spent_paid += paid
    month.spent_market += market
    if visit:
        month.visits += 1
        month.last_visit_at = at
    return month
