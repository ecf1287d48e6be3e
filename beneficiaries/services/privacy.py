"""GDPR: export everything held on a household (access request) and anonymise a household
whose last entitlement ended long enough ago, keeping the anonymous statistics."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grocery.audit import log_action
from grocery.errors import Conflict
from grocery.models import AuditEntry

from ..dates import add_months
from ..models import (
    BeneficiarySettings,
    BudgetLine,
    Debt,
    Entitlement,
    GoalProgress,
    Household,
)
from ._common import lock_household


def _money(value) -> str:
    return f"{value:.2f}"


def household_export(*, household: Household, actor) -> dict:
    """Everything held on one household, as plain JSON-ready data. The export is logged."""
    household = Household.objects.prefetch_related(
        "members",
        "budgets__lines",
        "budgets__debts",
        "referrals",
        "entitlements__sites",
        "entitlements__goals__progress_entries",
        "cards",
        "attendances__workshop",
        "allowance_months",
        "budget_accesses__user",
    ).get(pk=household.pk)
    data = {
        "exported_at": timezone.now().isoformat(),
        "household": {
            "reference": household.reference,
            "display_name": household.display_name,
            "phone": household.phone,
            "email": household.email,
            "address": household.address,
            "postcode": household.postcode,
            "city": household.city,
            "notes": household.notes,
            "consent_at": household.consent_at.isoformat() if household.consent_at else None,
            "consent_text_version": household.consent_text_version,
            "created_at": household.created_at.isoformat(),
            "anonymised_at": household.anonymised_at.isoformat() if household.anonymised_at else None,
        },
        "members": [
            {
                "first_name": m.first_name,
                "last_name": m.last_name,
                "birth_date": m.birth_date.isoformat(),
                "sex": m.sex,
                "relationship": m.relationship,
                "has_disability": m.has_disability,
                "is_migrant": m.is_migrant,
                "is_homeless": m.is_homeless,
            }
            for m in household.members.all()
        ],
        "budgets": [
            {
                "version": b.number,
                "created_at": b.created_at.isoformat(),
                "note": b.note,
                "lines": [
                    {
                        "kind": line.kind,
                        "category": line.category,
                        "label": line.label,
                        "monthly_amount": _money(line.monthly_amount),
                    }
                    for line in b.lines.all()
                ],
                "debts": [
                    {
                        "creditor": d.creditor,
                        "outstanding": _money(d.outstanding),
                        "monthly_repayment": _money(d.monthly_repayment),
                        "in_repayment_plan": d.in_repayment_plan,
                    }
                    for d in b.debts.all()
                ],
            }
            for b in household.budgets.all()
        ],
        "referrals": [
            {
                "id": r.pk,
                "status": r.status,
                "created_at": r.created_at.isoformat(),
                "situation": r.situation,
                "reason": r.reason,
                "proposed_goal": r.proposed_goal,
                "requested_months": r.requested_months,
                "decision_reason": r.decision_reason,
                "decided_at": r.decided_at.isoformat() if r.decided_at else None,
            }
            for r in household.referrals.all()
        ],
        "entitlements": [
            {
                "id": e.pk,
                "status": e.status,
                "start": e.start.isoformat(),
                "end": e.end.isoformat(),
                "monthly_allowance": _money(e.monthly_allowance),
                "allowance_basis": e.allowance_basis,
                "participation_rate": f"{e.participation_rate:.3f}",
                "sites": [s.name for s in e.sites.all()],
                "override_reason": e.override_reason,
                "status_reason": e.status_reason,
                "goals": [
                    {
                        "kind": g.kind,
                        "label": g.label,
                        "target_amount": _money(g.target_amount),
                        "target_date": g.target_date.isoformat(),
                        "status": g.status,
                        "outcome": g.outcome,
                        "progress": [
                            {"on_date": p.on_date.isoformat(), "amount": _money(p.amount), "note": p.note}
                            for p in g.progress_entries.all()
                        ],
                    }
                    for g in e.goals.all()
                ],
            }
            for e in household.entitlements.all()
        ],
        "cards": [
            {"number": c.number, "is_active": c.is_active, "issued_at": c.issued_at.isoformat()}
            for c in household.cards.all()
        ],
        "allowance_months": [
            {
                "month": m.month.isoformat(),
                "allowance": _money(m.allowance),
                "spent_paid": _money(m.spent_paid),
                "spent_market": _money(m.spent_market),
                "visits": m.visits,
            }
            for m in household.allowance_months.all()
        ],
        "workshops": [
            {"title": a.workshop.title, "date": a.workshop.starts_at.isoformat(), "attended": a.attended}
            for a in household.attendances.all()
        ],
        "budget_accesses": [
            {"at": a.at.isoformat(), "user": a.user.get_username() if a.user else None, "context": a.context}
            for a in household.budget_accesses.all()
        ],
    }
    log_action(actor, "household.export", household)
    return data


def anonymisable_after(household: Household, settings: BeneficiarySettings) -> date | None:
    """The first day the household may be anonymised, or None while an entitlement is in
    force or has never existed... (a household never admitted counts from its registration)."""
    entitlements = list(household.entitlements.values_list("status", "end"))
    if any(status in Entitlement.IN_FORCE for status, _end in entitlements):
        return None
    last = max(
        (end for _status, end in entitlements), default=timezone.localtime(household.created_at).date()
    )
    return add_months(last, settings.anonymise_after_months)


@transaction.atomic
def household_anonymise(*, household: Household, actor, today: date | None = None) -> Household:
    """Erase what identifies the household and its sensitive data, keep what funders' statistics
    need: composition (sex, birth year, relationship, declared situations), entitlements, months
    and goal outcomes without labels."""
    settings = BeneficiarySettings.get_solo()
    household = lock_household(household.pk)
    if household.anonymised_at:
        raise Conflict(_("Ce foyer est déjà anonymisé."), "already_anonymised")
    today = today or timezone.localdate()
    allowed_from = anonymisable_after(household, settings)
    if allowed_from is None or today < allowed_from:
        raise Conflict(
            _("Anonymisation possible %(n)s mois après la fin du dernier droit d'accès.")
            % {"n": settings.anonymise_after_months},
            "anonymise_too_early",
            extra={"allowed_from": allowed_from.isoformat() if allowed_from else None},
        )
    for member in household.members.all():
        member.first_name = "—"
        member.last_name = "—"
        member.birth_date = member.birth_date.replace(month=1, day=1)  # age bands stay right
        member.save(update_fields=["first_name", "last_name", "birth_date"])
    BudgetLine.objects.filter(budget__household=household).delete()
    Debt.objects.filter(budget__household=household).delete()
    household.budgets.update(note="")
    household.referrals.update(situation="—", reason="—", proposed_goal="", decision_reason="")
    Entitlement.objects.filter(household=household).update(override_reason="", status_reason="")
    GoalProgress.objects.filter(goal__entitlement__household=household).update(note="")
    from ..models import Goal

    Goal.objects.filter(entitlement__household=household).update(label="—", outcome="")
    household.cards.filter(is_active=True).update(
        is_active=False, deactivated_at=timezone.now(), deactivation_reason="Anonymisation"
    )
    household.display_name = "Foyer anonymisé"
    for field in ("phone", "email", "address", "notes"):
        setattr(household, field, "")
    household.anonymised_at = timezone.now()
    household.save()
    # The audit trail keeps who did what, not the personal data written in it.
    AuditEntry.objects.filter(target_type="beneficiaries.household", target_id=str(household.pk)).update(
        data={}
    )
    log_action(actor, "household.anonymise", household)
    return household


def households_anonymise_due(*, today: date | None = None, actor=None) -> int:
    """Anonymise every household past the retention period (monthly task). Returns the count."""
    settings = BeneficiarySettings.get_solo()
    today = today or timezone.localdate()
    cutoff = add_months(today, -settings.anonymise_after_months)
    candidates = (
        Household.objects.filter(anonymised_at__isnull=True, created_at__date__lt=cutoff)
        .exclude(entitlements__status__in=Entitlement.IN_FORCE)
        .exclude(entitlements__end__gte=cutoff)
    )
    done = 0
    for household in candidates.distinct():
        try:
            household_anonymise(household=household, actor=actor, today=today)
            done += 1
        except Conflict:
            continue
    return done
