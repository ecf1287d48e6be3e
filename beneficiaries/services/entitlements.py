"""Entitlements, cards and allowance months: opening, renewing, suspending and ending a
household's right to shop; cards; the month row the counter locks during a sale."""

import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grocery.audit import log_action
from grocery.errors import Conflict, DomainError

from .. import cards as card_numbers
from .. import dbconstraints
from ..dates import add_months, first_of_month, months_between, period_end
from ..models import AllowanceBasis, AllowanceMonth, BeneficiarySettings, Card, Entitlement, Household
from ..selectors import entitlement_active_on, entitlements_overlapping
from ._common import actor_or_none, money, required_text
from ._common import lock_household as _lock_household

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


# --- Entitlements ----------------------------------------------------------------------------

#: A renewal decided up to this many days after the end still continues the period.
RENEWAL_GRACE_DAYS = 31
OVERLAP_MESSAGE = "Ce foyer a déjà un droit d'accès en cours sur cette période."


def check_rate(rate, field: str = "participation_rate") -> Decimal:
    try:
        rate = Decimal(str(rate).strip().replace(",", "."))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError.for_field(field, _("Taux invalide."), "invalid_rate") from None
    if not rate.is_finite() or rate < 0 or rate > 1:
        raise DomainError.for_field(
            field, _("Le taux de participation doit être compris entre 0 et 1 (ex. 0,20)."), "invalid_rate"
        )
    return rate.quantize(Decimal("0.001"))


def check_months(months, field: str = "months") -> int:
    try:
        months = int(months)
    except (TypeError, ValueError):
        raise DomainError.for_field(field, _("Durée invalide."), "invalid_duration") from None
    if months < 1 or months > 60:
        raise DomainError.for_field(
            field, _("La durée doit être comprise entre 1 et 60 mois."), "invalid_duration"
        )
    return months


def months_used(household_id: int, *, exclude_id: int | None = None) -> int:
    """Months of entitlement the household has had (ended ones count up to their real end)."""
    queryset = Entitlement.objects.filter(household_id=household_id)
    if exclude_id:
        queryset = queryset.exclude(pk=exclude_id)
    return sum(months_between(start, end) for start, end in queryset.values_list("start", "end"))


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
    referral=None,
    renewal_of: Entitlement | None = None,
    override_reason: str = "",
    issue_card: bool = True,
) -> Entitlement:
    """Open an entitlement for a household. Refuses an end before the start and any overlap
    with an entitlement in force (`entitlement_overlap`, 409). Issues a card if the household
    has none. The rules on renewals, gaps and total duration are the callers' (approve, renew)."""
    settings = BeneficiarySettings.get_solo()
    sites = list(sites)
    if not sites:
        raise DomainError.for_field("sites", _("Choisissez au moins une épicerie."), "sites_required")
    if not isinstance(start, date):
        raise DomainError.for_field("start", _("Date de début invalide."), "invalid_dates")
    if end is None:
        end = period_end(start, settings.period_months)
    if end < start:
        raise DomainError.for_field("end", _("La date de fin précède la date de début."), "invalid_dates")
    allowance = money(monthly_allowance, "monthly_allowance")
    rate = check_rate(settings.participation_rate if participation_rate is None else participation_rate)
    basis = allowance_basis or settings.allowance_basis
    if basis not in AllowanceBasis.values:
        raise DomainError.for_field("allowance_basis", _("Base de montant inconnue."), "invalid")
    if household.anonymised_at is not None:
        raise Conflict(_("Ce foyer a été anonymisé."), "household_anonymised")
    _lock_household(household.pk)
    if entitlements_overlapping(household_id=household.pk, start=start, end=end).exists():
        raise Conflict.for_field("start", _(OVERLAP_MESSAGE), "entitlement_overlap")
    try:
        with transaction.atomic():
            entitlement = Entitlement.objects.create(
                household=household,
                referral=referral,
                start=start,
                end=end,
                monthly_allowance=allowance,
                allowance_basis=basis,
                participation_rate=rate,
                renewal_of=renewal_of,
                renewal_number=(renewal_of.renewal_number + 1) if renewal_of else 0,
                override_reason=override_reason,
                created_by=actor_or_none(actor),
            )
    except IntegrityError as exc:
        if dbconstraints.is_overlap_error(exc):
            raise Conflict.for_field("start", _(OVERLAP_MESSAGE), "entitlement_overlap") from None
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
        renewal_of=renewal_of.pk if renewal_of else None,
        override_reason=override_reason,
    )
    if issue_card and not household.cards.filter(is_active=True).exists():
        card_issue(household=household, actor=actor)
    return entitlement


def _refuse_unless_overridden(override_reason: str, message: str, code: str, field: str) -> None:
    if not (override_reason or "").strip():
        raise Conflict.for_field(field, message, code, extra={"overridable": True})


def _locked(entitlement: Entitlement) -> Entitlement:
    _lock_household(entitlement.household_id)
    return Entitlement.objects.select_for_update().get(pk=entitlement.pk)


def _invalid_transition(entitlement: Entitlement, action: str):
    return Conflict(
        _("Impossible de %(action)s un droit d'accès au statut « %(status)s ».")
        % {"action": action, "status": entitlement.get_status_display()},
        "invalid_transition",
    )


@transaction.atomic
def entitlement_renew(
    *,
    entitlement: Entitlement,
    actor,
    months: int | None = None,
    monthly_allowance: Decimal | None = None,
    participation_rate: Decimal | None = None,
    sites: Iterable | None = None,
    override_reason: str = "",
) -> Entitlement:
    """A new period right after this one. Refused beyond the number of renewals
    (`renewal_limit_reached`) or the total duration (`max_duration_reached`) of the settings,
    unless a reason for the exception is given."""
    settings = BeneficiarySettings.get_solo()
    entitlement = _locked(entitlement)
    if entitlement.status == Entitlement.Status.ENDED:
        raise _invalid_transition(entitlement, _("renouveler"))
    if Entitlement.objects.filter(renewal_of=entitlement).exists():
        raise Conflict(_("Ce droit d'accès a déjà été renouvelé."), "already_renewed")
    months = check_months(settings.period_months if months is None else months)
    override_reason = (override_reason or "").strip()
    if entitlement.renewal_number + 1 > settings.max_renewals:
        _refuse_unless_overridden(
            override_reason,
            _("Nombre maximal de renouvellements atteint (%(max)s). Indiquez un motif de dérogation.")
            % {"max": settings.max_renewals},
            "renewal_limit_reached",
            "override_reason",
        )
    if months_used(entitlement.household_id) + months > settings.max_total_months:
        _refuse_unless_overridden(
            override_reason,
            _("La durée totale dépasserait %(max)s mois. Indiquez un motif de dérogation.")
            % {"max": settings.max_total_months},
            "max_duration_reached",
            "override_reason",
        )
    if entitlement.end < timezone.localdate() - timedelta(days=RENEWAL_GRACE_DAYS):
        # Long after the end, it is a new entry (referral, commission, waiting gap), not a renewal.
        _refuse_unless_overridden(
            override_reason,
            _(
                "Ce droit a pris fin il y a plus d'un mois : faites une nouvelle orientation, ou indiquez un "
                "motif de dérogation."
            ),
            "renewal_too_late",
            "override_reason",
        )
    start = entitlement.end + timedelta(days=1)
    renewal = entitlement_create(
        household=entitlement.household,
        sites=list(sites) if sites is not None else list(entitlement.sites.all()),
        start=start,
        end=period_end(start, months),
        monthly_allowance=entitlement.monthly_allowance if monthly_allowance is None else monthly_allowance,
        allowance_basis=entitlement.allowance_basis,
        participation_rate=entitlement.participation_rate
        if participation_rate is None
        else participation_rate,
        actor=actor,
        referral=entitlement.referral,
        renewal_of=entitlement,
        override_reason=override_reason,
    )
    log_action(actor, "entitlement.renew", entitlement, renewal=renewal.pk, override_reason=override_reason)
    return renewal


def _set_status(entitlement: Entitlement, status: str, actor, reason: str, **changes) -> Entitlement:
    entitlement.status = status
    entitlement.status_reason = reason
    entitlement.status_changed_at = timezone.now()
    entitlement.status_changed_by = actor_or_none(actor)
    for name, value in changes.items():
        setattr(entitlement, name, value)
    entitlement.save(
        update_fields=["status", "status_reason", "status_changed_at", "status_changed_by", *changes]
    )
    log_action(actor, f"entitlement.{status}", entitlement, reason=reason, **changes)
    return entitlement


@transaction.atomic
def entitlement_suspend(*, entitlement: Entitlement, actor, reason: str) -> Entitlement:
    reason = required_text(reason, "reason", _("Indiquez le motif de la suspension."))
    entitlement = _locked(entitlement)
    if entitlement.status != Entitlement.Status.ACTIVE:
        raise _invalid_transition(entitlement, _("suspendre"))
    return _set_status(entitlement, Entitlement.Status.SUSPENDED, actor, reason)


@transaction.atomic
def entitlement_resume(*, entitlement: Entitlement, actor, reason: str = "") -> Entitlement:
    entitlement = _locked(entitlement)
    if entitlement.status != Entitlement.Status.SUSPENDED:
        raise _invalid_transition(entitlement, _("réactiver"))
    return _set_status(entitlement, Entitlement.Status.ACTIVE, actor, (reason or "").strip())


@transaction.atomic
def entitlement_end(
    *, entitlement: Entitlement, actor, reason: str, on_date: date | None = None
) -> Entitlement:
    """End early: the last day becomes `on_date` (today by default), so the household may be
    admitted again later without overlapping this period."""
    reason = required_text(reason, "reason", _("Indiquez le motif de la fin anticipée."))
    entitlement = _locked(entitlement)
    if entitlement.status not in Entitlement.IN_FORCE:
        raise _invalid_transition(entitlement, _("terminer"))
    # A period that has not started yet (a renewal) ends on its first day.
    on_date = on_date or max(timezone.localdate(), entitlement.start)
    if on_date > entitlement.end:
        raise DomainError.for_field(
            "on_date", _("La date de fin anticipée est après la fin prévue du droit."), "invalid_dates"
        )
    if on_date < entitlement.start:
        raise DomainError.for_field(
            "on_date", _("La date de fin anticipée précède le début du droit."), "invalid_dates"
        )
    return _set_status(entitlement, Entitlement.Status.ENDED, actor, reason, end=on_date)


@transaction.atomic
def entitlements_expire(*, today: date | None = None) -> int:
    """Mark as expired the entitlements in force whose last day has passed (nightly task)."""
    today = today or timezone.localdate()
    expired = list(
        Entitlement.objects.select_for_update()
        .filter(status__in=Entitlement.IN_FORCE, end__lt=today)
        .values_list("pk", flat=True)
    )
    Entitlement.objects.filter(pk__in=expired).update(
        status=Entitlement.Status.EXPIRED, status_changed_at=timezone.now(), status_reason="Échu"
    )
    return len(expired)


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
                        issued_by=actor_or_none(actor),
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
    Conflict `entitlement_inactive` when there is no row yet and no active entitlement. When
    the row exists it is returned even if the entitlement is no longer active (a refund must
    still reach its month): checking that the household may buy is the caller's job
    (`entitlement_active_on` with the till's site). Call it inside the sale's transaction.
    """
    return allowance_month_lock_held(
        household_id=household_id,
        on_date=on_date,
        entitlement=entitlement_active_on(household_id=household_id, on_date=on_date),
    )


def allowance_month_lock_held(
    *, household_id: int, on_date: date, entitlement: Entitlement | None
) -> AllowanceMonth:
    """`allowance_month_lock` for a caller already inside its transaction that has read
    `entitlement` (the household's active entitlement on `on_date`, any site) itself.

    No savepoint of its own on the common path (the row exists): a refusal here aborts the
    caller's whole transaction anyway. Only the first use of the month creates the row, inside
    a savepoint so that losing the creation race to another till can be recovered from.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allowance_month_lock_held must run inside a transaction.")
    month = first_of_month(on_date)
    queryset = AllowanceMonth.objects.select_for_update()
    row = queryset.filter(household_id=household_id, month=month).first()
    if row is None:
        if entitlement is None:
            raise Conflict(_("Ce foyer n'a pas de droit d'accès actif à cette date."), "entitlement_inactive")
        settings = BeneficiarySettings.get_solo()
        try:
            with transaction.atomic():
                # The inserted row is ours (locked) until commit: no need to read it again.
                row = AllowanceMonth.objects.create(
                    household_id=household_id,
                    month=month,
                    entitlement=entitlement,
                    basis=entitlement.allowance_basis,
                    allowance=entitlement.monthly_allowance,
                    carried_over=_carry_over(household_id, month, settings),
                )
        except IntegrityError:
            # Another till created it first: lock theirs.
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
