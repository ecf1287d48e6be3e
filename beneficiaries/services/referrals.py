"""Referrals: a prescriber drafts and submits, the commission approves (opening an
entitlement) or refuses; the prescriber may withdraw. Transitions only go through here."""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grocery.audit import log_action
from grocery.errors import Conflict, DomainError, NotFound
from grocery.permissions import is_partner_only

from ..dates import add_months, months_between, period_end
from ..models import BeneficiarySettings, BudgetVersion, Entitlement, Household, Referral
from ..selectors import suggested_allowance_for
from ._common import actor_or_none, lock_household, money, required_text
from .entitlements import _refuse_unless_overridden, check_months, check_rate, entitlement_create, months_used

EDITABLE = ("situation", "reason", "proposed_goal", "requested_months", "budget")


def _check_transition(referral: Referral, target: str) -> None:
    if target not in Referral.TRANSITIONS[referral.status]:
        raise Conflict(
            _("Impossible : l'orientation est au statut « %(status)s ».")
            % {"status": referral.get_status_display()},
            "invalid_transition",
            extra={"status": referral.status},
        )


def _locked(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().select_related("household").get(pk=referral.pk)


def _check_budget(household: Household, budget: BudgetVersion | None) -> None:
    if budget is not None and budget.household_id != household.pk:
        raise DomainError.for_field("budget", _("Ce budget n'est pas celui du foyer."), "invalid")


@transaction.atomic
def referral_create(
    *,
    actor,
    household: Household,
    situation: str,
    reason: str,
    proposed_goal: str = "",
    requested_months: int | None = None,
    budget: BudgetVersion | None = None,
) -> Referral:
    """A draft referral. A partner's referral belongs to the partner's organisation; its budget
    snapshot is the given version or the household's latest one."""
    settings = BeneficiarySettings.get_solo()
    situation = required_text(situation, "situation", _("Décrivez la situation du foyer."))
    reason = required_text(reason, "reason", _("Indiquez le motif de la demande."))
    months = check_months(
        settings.period_months if requested_months is None else requested_months, "requested_months"
    )
    if months > settings.max_total_months:
        raise DomainError.for_field(
            "requested_months", _("Durée supérieure au maximum autorisé."), "invalid_duration"
        )
    if household.anonymised_at:
        raise Conflict(_("Ce foyer a été anonymisé."), "household_anonymised")
    _check_budget(household, budget)
    if budget is None:
        budget = household.budgets.order_by("-number").first()
    partner = actor.partner if actor is not None and is_partner_only(actor) else None
    if partner is not None and household.partner_id is None:
        # The household is now also "behind" this partner's referral; remember who brought it.
        Household.objects.filter(pk=household.pk).update(partner=partner)
    referral = Referral.objects.create(
        household=household,
        partner=partner,
        created_by=actor_or_none(actor),
        budget=budget,
        situation=situation,
        reason=reason,
        proposed_goal=(proposed_goal or "").strip(),
        requested_months=months,
    )
    log_action(actor, "referral.create", referral, household=household.pk)
    return referral


@transaction.atomic
def referral_update(*, referral: Referral, actor, **fields) -> Referral:
    """Edit a draft. Once submitted a referral is read-only (`referral_read_only`)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise DomainError(f"Unknown fields {sorted(unknown)}", "invalid")
    referral = _locked(referral)
    if referral.status != Referral.Status.DRAFT:
        raise Conflict(_("Une orientation transmise ne peut plus être modifiée."), "referral_read_only")
    if "situation" in fields:
        fields["situation"] = required_text(
            fields["situation"], "situation", _("Décrivez la situation du foyer.")
        )
    if "reason" in fields:
        fields["reason"] = required_text(fields["reason"], "reason", _("Indiquez le motif de la demande."))
    if "requested_months" in fields:
        fields["requested_months"] = check_months(fields["requested_months"], "requested_months")
    if "budget" in fields:
        _check_budget(referral.household, fields["budget"])
    for key, value in fields.items():
        setattr(referral, key, value)
    referral.save(update_fields=list(fields))
    log_action(actor, "referral.update", referral, fields=sorted(fields))
    return referral


@transaction.atomic
def referral_submit(*, referral: Referral, actor) -> Referral:
    referral = _locked(referral)
    _check_transition(referral, Referral.Status.SUBMITTED)
    if referral.budget_id is None:
        latest = referral.household.budgets.order_by("-number").first()
        if latest is None:
            raise DomainError.for_field(
                "budget",
                _("Renseignez le budget du foyer avant de transmettre l'orientation."),
                "budget_required",
            )
        referral.budget = latest
    referral.status = Referral.Status.SUBMITTED
    referral.submitted_at = timezone.now()
    referral.submitted_by = actor_or_none(actor)
    referral.save(update_fields=["status", "submitted_at", "submitted_by", "budget"])
    log_action(actor, "referral.submit", referral)
    return referral


@transaction.atomic
def referral_withdraw(*, referral: Referral, actor, reason: str = "") -> Referral:
    referral = _locked(referral)
    _check_transition(referral, Referral.Status.WITHDRAWN)
    return _decide(referral, Referral.Status.WITHDRAWN, actor, (reason or "").strip())


@transaction.atomic
def referral_refuse(*, referral: Referral, actor, reason: str) -> Referral:
    reason = required_text(reason, "reason", _("Indiquez le motif du refus."))
    referral = _locked(referral)
    _check_transition(referral, Referral.Status.REFUSED)
    return _decide(referral, Referral.Status.REFUSED, actor, reason)


def _decide(referral: Referral, status: str, actor, reason: str) -> Referral:
    referral.status = status
    referral.decided_at = timezone.now()
    referral.decided_by = actor_or_none(actor)
    referral.decision_reason = reason
    referral.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    log_action(actor, f"referral.{status}", referral, reason=reason)
    return referral


@transaction.atomic
def referral_approve(
    *,
    referral: Referral,
    actor,
    sites: Iterable,
    start: date | None = None,
    months: int | None = None,
    monthly_allowance: Decimal | None = None,
    participation_rate: Decimal | None = None,
    override_reason: str = "",
) -> Entitlement:
    """The commission's approval: opens the entitlement. Departing from the settings (duration,
    the allowance scale, the default rate, the waiting gap, the total duration) needs a reason,
    recorded on the entitlement and in the decision."""
    settings = BeneficiarySettings.get_solo()
    referral = _locked(referral)
    _check_transition(referral, Referral.Status.APPROVED)
    household = lock_household(referral.household_id)
    override_reason = (override_reason or "").strip()
    start = start or timezone.localdate()
    months = check_months(settings.period_months if months is None else months)
    suggested = suggested_allowance_for(household, settings, start)
    allowance = (
        suggested if monthly_allowance in (None, "") else money(monthly_allowance, "monthly_allowance")
    )
    rate = settings.participation_rate if participation_rate in (None, "") else check_rate(participation_rate)
    deviations = []
    if months != settings.period_months:
        deviations.append(
            (
                "months",
                _("La durée diffère de la durée habituelle (%(n)s mois).") % {"n": settings.period_months},
            )
        )
    if allowance != suggested:
        deviations.append(
            ("monthly_allowance", _("Le montant diffère du barème (%(a)s €).") % {"a": suggested})
        )
    if rate != settings.participation_rate:
        deviations.append(("participation_rate", _("Le taux diffère du taux habituel.")))
    if deviations and not override_reason:
        field, message = deviations[0]
        raise DomainError(
            message + " " + _("Indiquez le motif de la dérogation."),
            "override_reason_required",
            fields={"override_reason": [message], field: [message]},
        )
    last_end = (
        Entitlement.objects.filter(household=household).order_by("-end").values_list("end", flat=True).first()
    )
    if last_end is not None and start <= add_months(last_end, settings.waiting_gap_months):
        _refuse_unless_overridden(
            override_reason,
            _(
                "Délai de carence : nouvelle entrée possible après le %(date)s. "
                "Indiquez un motif de dérogation."
            )
            % {
                "date": (add_months(last_end, settings.waiting_gap_months) + timedelta(days=1)).strftime(
                    "%d/%m/%Y"
                )
            },
            "waiting_gap",
            "start",
        )
    if (
        months_used(household.pk) + months_between(start, period_end(start, months))
        > settings.max_total_months
    ):
        _refuse_unless_overridden(
            override_reason,
            _("La durée totale dépasserait %(max)s mois. Indiquez un motif de dérogation.")
            % {"max": settings.max_total_months},
            "max_duration_reached",
            "months",
        )
    entitlement = entitlement_create(
        household=household,
        sites=sites,
        start=start,
        end=period_end(start, months),
        monthly_allowance=allowance,
        participation_rate=rate,
        actor=actor,
        referral=referral,
        override_reason=override_reason,
    )
    _decide(referral, Referral.Status.APPROVED, actor, override_reason)
    return entitlement


@transaction.atomic
def referral_open(
    *,
    actor,
    household: Household | None = None,
    new_household: dict | None = None,
    budget: dict | None = None,
    situation: str,
    reason: str,
    proposed_goal: str = "",
    requested_months: int | None = None,
) -> tuple[Referral, bool]:
    """What a prescriber does in one go: an existing household or a new one, its budget, and
    the draft referral. A partner registering a person already known is linked to the
    existing file (warn and link: they cannot browse files, and no second file is made); staff
    get `possible_duplicate` with the files to choose from. Returns (referral, linked)."""
    from .households import budget_record, household_create

    linked = False
    if (household is None) == (new_household is None):
        raise DomainError.for_field(
            "household", _("Indiquez un foyer existant ou un nouveau foyer."), "invalid"
        )
    # A prescriber may refer again only a household behind one of its organisation's referrals.
    if (
        household is not None
        and actor is not None
        and is_partner_only(actor)
        and not household.referrals.filter(partner_id=actor.partner_id or -1).exists()
    ):
        raise NotFound.for_field("household", _("Foyer introuvable."), "not_found")
    if household is None:
        partner = actor.partner if actor is not None and is_partner_only(actor) else None
        try:
            with transaction.atomic():
                household = household_create(actor=actor, partner=partner, **new_household)
        except Conflict as error:
            if error.code != "possible_duplicate" or partner is None:
                raise
            household = Household.objects.get(pk=error.extra["duplicates"][0]["id"])
            linked = True
    version = None
    if budget and (budget.get("incomes") or budget.get("expenses") or budget.get("debts")):
        version = budget_record(household=household, actor=actor, **budget)
    referral = referral_create(
        actor=actor,
        household=household,
        situation=situation,
        reason=reason,
        proposed_goal=proposed_goal,
        requested_months=requested_months,
        budget=version,
    )
    if linked:
        log_action(actor, "referral.linked_to_existing_household", referral, household=household.pk)
    return referral, linked
