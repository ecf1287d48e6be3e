"""Goal contracts (objectives of an entitlement, their progress and outcome) and workshops."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from grocery.audit import log_action
from grocery.errors import Conflict, DomainError

from ..models import Attendance, Entitlement, Goal, GoalProgress, Household, Workshop
from ..selectors import entitlement_active_on
from ._common import actor_or_none, money, required_text


def _date(value, field: str) -> date:
    if isinstance(value, str):
        try:
            value = parse_date(value)
        except ValueError:
            value = None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise DomainError.for_field(field, _("Date invalide."), "invalid_date")
    return value


@transaction.atomic
def goal_create(
    *, entitlement: Entitlement, actor, kind: str, label: str, target_amount, target_date
) -> Goal:
    if kind not in Goal.Kind.values:
        raise DomainError.for_field("kind", _("Type d'objectif inconnu."), "invalid")
    label = required_text(label, "label", _("Indiquez le créancier ou le projet."))[:160]
    amount = money(target_amount, "target_amount", maximum=9_999_999)
    if amount <= 0:
        raise DomainError.for_field(
            "target_amount", _("Le montant visé doit être positif."), "invalid_amount"
        )
    target = _date(target_date, "target_date")
    if target < entitlement.start:
        raise DomainError.for_field(
            "target_date", _("L'échéance précède le début du droit."), "invalid_dates"
        )
    if entitlement.status not in Entitlement.IN_FORCE:
        raise Conflict(_("Ce droit d'accès n'est plus en cours."), "entitlement_inactive")
    goal = Goal.objects.create(
        entitlement=entitlement,
        kind=kind,
        label=label,
        target_amount=amount,
        target_date=target,
        created_by=actor_or_none(actor),
    )
    log_action(actor, "goal.create", goal, entitlement=entitlement.pk, target_amount=amount)
    return goal


@transaction.atomic
def goal_progress_add(*, goal: Goal, actor, amount, on_date=None, note: str = "") -> GoalProgress:
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if goal.status != Goal.Status.IN_PROGRESS:
        raise Conflict(_("Cet objectif est clos."), "goal_closed")
    amount = money(amount, "amount")
    if amount <= 0:
        raise DomainError.for_field("amount", _("Le montant doit être positif."), "invalid_amount")
    on_date = _date(on_date or timezone.localdate(), "on_date")
    if on_date > timezone.localdate():
        raise DomainError.for_field("on_date", _("La date ne peut pas être dans le futur."), "invalid_date")
    entry = GoalProgress.objects.create(
        goal=goal,
        amount=amount,
        on_date=on_date,
        note=(note or "").strip()[:200],
        recorded_by=actor_or_none(actor),
    )
    log_action(actor, "goal.progress", goal, amount=amount, on_date=on_date)
    return entry


@transaction.atomic
def goal_close(*, goal: Goal, actor, status: str, outcome: str) -> Goal:
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if goal.status != Goal.Status.IN_PROGRESS:
        raise Conflict(_("Cet objectif est déjà clos."), "invalid_transition")
    if status not in (Goal.Status.REACHED, Goal.Status.PARTLY, Goal.Status.ABANDONED):
        raise DomainError.for_field("status", _("Statut de clôture inconnu."), "invalid")
    goal.status = status
    goal.outcome = required_text(outcome, "outcome", _("Indiquez le bilan de l'objectif."))
    goal.save(update_fields=["status", "outcome"])
    log_action(actor, "goal.close", goal, status=status)
    return goal


@transaction.atomic
def workshop_create(
    *, actor, title: str, starts_at: datetime, site, theme: str, capacity: int | None = None
) -> Workshop:
    title = required_text(title, "title", _("Indiquez le titre de l'atelier."))[:160]
    if theme not in Workshop.Theme.values:
        raise DomainError.for_field("theme", _("Thème inconnu."), "invalid")
    if not isinstance(starts_at, datetime):
        raise DomainError.for_field("starts_at", _("Date invalide."), "invalid_date")
    if capacity is not None and capacity < 1:
        raise DomainError.for_field("capacity", _("Le nombre de places doit être positif."), "invalid")
    workshop = Workshop.objects.create(
        title=title, starts_at=starts_at, site=site, theme=theme, capacity=capacity
    )
    log_action(actor, "workshop.create", workshop)
    return workshop


@transaction.atomic
def attendance_record(
    *, workshop: Workshop, household: Household, actor, attended: bool = True
) -> Attendance:
    """Register a household at a workshop (or mark it present/absent); the attendance belongs to
    the contract (entitlement) in force on the workshop's date."""
    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    existing = Attendance.objects.filter(workshop=workshop, household=household).first()
    if existing is not None:
        existing.attended = attended
        existing.recorded_by = actor_or_none(actor)
        existing.save(update_fields=["attended", "recorded_by"])
        log_action(actor, "workshop.attendance", workshop, household=household.pk, attended=attended)
        return existing
    if workshop.capacity and workshop.attendances.count() >= workshop.capacity:
        raise Conflict(_("L'atelier est complet."), "workshop_full")
    on_date = timezone.localtime(workshop.starts_at).date()
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                workshop=workshop,
                household=household,
                attended=attended,
                recorded_by=actor_or_none(actor),
                entitlement=entitlement_active_on(household_id=household.pk, on_date=on_date),
            )
    except IntegrityError:
        raise Conflict(_("Ce foyer est déjà inscrit."), "already_registered") from None
    log_action(actor, "workshop.attendance", workshop, household=household.pk, attended=attended)
    return attendance
