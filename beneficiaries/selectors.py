"""Reads of beneficiaries shared by several callers: the till's card lookup, the entitlement in
force, and the querysets each role may see (object-level privacy lives here)."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from grocery.errors import Conflict, DomainError, NotFound
from grocery.permissions import has_capability, is_partner_only

from . import budget as budget_rules
from . import cards as card_numbers
from .dates import first_of_month
from .models import (
    AllowanceMonth,
    BeneficiarySettings,
    BudgetVersion,
    Card,
    Entitlement,
    Goal,
    GoalProgress,
    Household,
    Referral,
)

#: Functions (card, payload) -> None called last by `card_lookup_payload`; the counter appends
#: its per-product limits to payload["limits"] without this app importing the counter.
CARD_LOOKUP_EXTENSIONS: list[Callable[[Card, dict], None]] = []


def card_resolve(number: str) -> Card:
    """The active card with this number, with its household.

    Raises DomainError `invalid_card_number` (400) for a malformed number or a wrong check
    digit, NotFound `unknown_card` (404), Conflict `card_replaced` (409) for a card replaced by a
    reissue, Conflict `card_inactive` (409) for a card deactivated without replacement.
    """
    try:
        normalised = card_numbers.normalise_number(number)
    except card_numbers.InvalidCardNumber as exc:
        message = (
            _("Numéro de carte invalide (chiffre de contrôle erroné).")
            if str(exc) == "check_digit"
            else _("Numéro de carte invalide (10 chiffres attendus).")
        )
        raise DomainError.for_field("number", message, "invalid_card_number") from None
    card = Card.objects.select_related("household").filter(number=normalised).first()
    if card is None:
        raise NotFound.for_field("number", _("Carte inconnue."), "unknown_card")
    if not card.is_active:
        if card.replaced_by_id:
            raise Conflict.for_field(
                "number",
                _("Cette carte a été remplacée par une nouvelle carte : elle n'est plus valable."),
                "card_replaced",
            )
        raise Conflict.for_field("number", _("Cette carte est désactivée."), "card_inactive")
    return card


def entitlement_active_on(
    *, household_id: int, on_date: date, site_id: int | None = None
) -> Entitlement | None:
    """The household's active entitlement covering `on_date` (at `site_id` if given), or None.
    A suspended, ended or expired entitlement is not active."""
    queryset = Entitlement.objects.filter(
        household_id=household_id,
        status=Entitlement.Status.ACTIVE,
        start__lte=on_date,
        end__gte=on_date,
    )
    if site_id is not None:
        queryset = queryset.filter(sites__id=site_id)
    return queryset.order_by("-start").first()


def entitlements_active_on(
    *, household_id: int, on_date: date, site_id: int
) -> tuple[Entitlement | None, Entitlement | None]:
    """`entitlement_active_on` with and without the site, in one query: (at the site, any site).

    The sale needs both: the one at its site says the household may buy there, the other is
    what its allowance month follows (`allowance_month_lock_held`).
    """
    at_site = Entitlement.sites.through.objects.filter(entitlement_id=OuterRef("pk"), site_id=site_id)
    rows = list(
        Entitlement.objects.filter(
            household_id=household_id,
            status=Entitlement.Status.ACTIVE,
            start__lte=on_date,
            end__gte=on_date,
        )
        .annotate(at_site=Exists(at_site))
        .order_by("-start")
    )
    return next((row for row in rows if row.at_site), None), (rows[0] if rows else None)


def entitlement_current(*, household_id: int, on_date: date) -> Entitlement | None:
    """What the till should show: the entitlement in force on that date (even suspended), else
    the latest one (ended, expired, or starting later)."""
    in_force = (
        Entitlement.objects.filter(household_id=household_id, start__lte=on_date, end__gte=on_date)
        .filter(status__in=Entitlement.IN_FORCE)
        .prefetch_related("sites")
        .first()
    )
    if in_force is not None:
        return in_force
    return (
        Entitlement.objects.filter(household_id=household_id)
        .prefetch_related("sites")
        .order_by("-start", "-id")
        .first()
    )


def allowance_month_view(*, household_id: int, entitlement: Entitlement | None, on_date: date) -> dict:
    """This month's allowance as the till shows it, without creating the month row (a lookup
    is a read): the existing row, or what the entitlement would give with nothing spent."""
    month = first_of_month(on_date)
    row = AllowanceMonth.objects.filter(household_id=household_id, month=month).first()
    if row is not None:
        allowance, spent, remaining = row.allowance + row.carried_over, row.spent, row.remaining
    elif (
        entitlement is not None
        and entitlement.status == Entitlement.Status.ACTIVE
        and entitlement.covers(on_date)
    ):
        allowance, spent = entitlement.monthly_allowance, Decimal("0.00")
        remaining = allowance
    else:
        allowance = spent = remaining = Decimal("0.00")
    if (
        entitlement is None
        or entitlement.status != Entitlement.Status.ACTIVE
        or not entitlement.covers(on_date)
    ):
        remaining = Decimal("0.00")
    return {
        "month": month.isoformat(),
        "allowance": f"{allowance:.2f}",
        "spent": f"{spent:.2f}",
        "remaining": f"{max(remaining, Decimal('0.00')):.2f}",
    }


def card_lookup_payload(card: Card, *, on_date: date | None = None) -> dict:
    """Exactly what the till needs about a card, nothing sensitive: the card lookup of the API."""
    on_date = on_date or timezone.localdate()
    household = card.household
    entitlement = entitlement_current(household_id=household.pk, on_date=on_date)
    payload = {
        "number": card.number,
        "household": {
            "id": household.pk,
            "display_name": household.display_name,
            "persons": household.members.count(),
        },
        "entitlement": None,
        "allowance": allowance_month_view(
            household_id=household.pk, entitlement=entitlement, on_date=on_date
        ),
        "limits": [],
    }
    if entitlement is not None:
        payload["entitlement"] = {
            "id": entitlement.pk,
            "status": entitlement.status,
            "start": entitlement.start.isoformat(),
            "end": entitlement.end.isoformat(),
            "participation_rate": f"{entitlement.participation_rate:.3f}",
            "allowance_basis": entitlement.allowance_basis,
            "monthly_allowance": f"{entitlement.monthly_allowance:.2f}",
            "sites": sorted(site.pk for site in entitlement.sites.all()),
        }
    for extension in CARD_LOOKUP_EXTENSIONS:
        extension(card, payload)
    return payload


def entitlements_overlapping(*, household_id: int, start: date, end: date, exclude_id: int | None = None):
    queryset = Entitlement.objects.filter(
        Q(household_id=household_id, status__in=Entitlement.IN_FORCE, start__lte=end, end__gte=start)
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset


# --- Who sees what -----------------------------------------------------------------------------


def households_for(user) -> QuerySet[Household]:
    """Households this user may read, with what the lists show prefetched. Partners (no
    household.view) only reach households through their referrals; they get the households
    behind those."""
    queryset = Household.objects.all()
    if is_partner_only(user):
        queryset = (
            queryset.filter(referrals__partner_id=user.partner_id).distinct()
            if user.partner_id
            else queryset.none()
        )
    elif not has_capability(user, "household.view"):
        queryset = queryset.none()
    return queryset.select_related("partner").prefetch_related(
        "members",
        Prefetch("cards", queryset=Card.objects.filter(is_active=True), to_attr="active_cards"),
        Prefetch(
            "entitlements", queryset=Entitlement.objects.order_by("-start", "-id").prefetch_related("sites")
        ),
    )


def referrals_for(user) -> QuerySet[Referral]:
    """Referrals this user may read: partners only those of their organisation."""
    queryset = Referral.objects.all()
    if is_partner_only(user):
        queryset = queryset.filter(partner_id=user.partner_id) if user.partner_id else queryset.none()
    elif not has_capability(user, "referral.view"):
        queryset = queryset.none()
    return queryset.select_related(
        "household", "partner", "created_by", "decided_by", "budget"
    ).prefetch_related("household__members", Prefetch("entitlements", to_attr="entitlement_list"))


def referrals_for_commission() -> QuerySet[Referral]:
    """Submitted referrals, oldest first, with everything the commission view shows, in a
    constant number of queries: household, members, budget snapshot, and the household's
    history (earlier entitlements and referrals)."""
    return (
        Referral.objects.filter(status=Referral.Status.SUBMITTED)
        .select_related("household", "partner", "created_by", "budget")
        .prefetch_related(
            "household__members",
            Prefetch("household__entitlements", queryset=Entitlement.objects.order_by("-start")),
            Prefetch("household__referrals", queryset=Referral.objects.order_by("-created_at")),
            Prefetch("entitlements", to_attr="entitlement_list"),
        )
        .order_by("submitted_at", "id")
    )


def budget_summary(
    household: Household,
    budget: BudgetVersion | None,
    settings: BeneficiarySettings,
    on_date: date | None = None,
) -> dict | None:
    """The reste à vivre of a budget version with its formula, threshold and verdict (uses the
    version's stored totals and the prefetched members: no query)."""
    if budget is None:
        return None
    on_date = on_date or timezone.localdate()
    ages = [member.age_on(on_date) for member in household.members.all()]
    if not ages:
        return None
    rav = budget_rules.reste_a_vivre(
        income=budget.total_income, expenses=budget.total_expenses, ages=ages, divisor=settings.rav_divisor
    )
    parts = budget_rules.divisor_parts(ages, settings.rav_divisor)
    return {
        "version": budget.number,
        "total_income": f"{budget.total_income:.2f}",
        "total_expenses": f"{budget.total_expenses:.2f}",
        "reste_a_vivre": f"{rav:.2f}",
        "divisor": settings.rav_divisor,
        "divisor_value": f"{parts.normalize():f}",
        "formula": budget_rules.rav_formula(
            income=budget.total_income,
            expenses=budget.total_expenses,
            parts=parts,
            divisor=settings.rav_divisor,
        ),
        "threshold": f"{settings.rav_threshold:.2f}",
        "below_threshold": rav < settings.rav_threshold,
    }


def suggested_allowance_for(household: Household, settings: BeneficiarySettings, on_date: date | None = None):
    on_date = on_date or timezone.localdate()
    return budget_rules.suggested_allowance(
        ages=[m.age_on(on_date) for m in household.members.all()],
        one_person=settings.allowance_one_person,
        two_persons=settings.allowance_two_persons,
        per_child=settings.allowance_per_child,
        cap=settings.allowance_cap,
        child_age_limit=settings.child_age_limit,
    )


def goals_with_progress() -> QuerySet[Goal]:
    """Goals with their progress total and the money saved at the grocery during their
    entitlement (market value − paid, from the allowance months), annotated in SQL."""
    saved = (
        AllowanceMonth.objects.filter(entitlement=OuterRef("entitlement"))
        .values("entitlement")
        .annotate(total=Sum(F("spent_market") - F("spent_paid")))
        .values("total")
    )
    progressed = (
        GoalProgress.objects.filter(goal=OuterRef("pk"))
        .values("goal")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return (
        Goal.objects.select_related("entitlement__household")
        .prefetch_related("progress_entries")
        .annotate(
            savings=Coalesce(Subquery(saved, output_field=money), Value(Decimal("0.00")), output_field=money),
            progress_total=Coalesce(
                Subquery(progressed, output_field=money), Value(Decimal("0.00")), output_field=money
            ),
        )
    )


def commission_rows(
    referrals, *, on_date: date | None = None, settings: BeneficiarySettings | None = None
) -> list[dict]:
    """For each submitted referral (from `referrals_for_commission`): the budget summary, the
    suggested allowance and the household's history. No query per row."""
    settings = settings or BeneficiarySettings.get_solo()
    on_date = on_date or timezone.localdate()
    rows = []
    for referral in referrals:
        household = referral.household
        rows.append(
            {
                "referral": referral,
                "budget": budget_summary(household, referral.budget, settings, on_date),
                "suggested_allowance": suggested_allowance_for(household, settings, on_date),
                "history": {
                    "entitlements": [
                        {
                            "id": e.pk,
                            "start": e.start.isoformat(),
                            "end": e.end.isoformat(),
                            "status": e.status,
                            "renewal_number": e.renewal_number,
                        }
                        for e in household.entitlements.all()
                    ],
                    "referrals": [
                        {"id": r.pk, "status": r.status, "created_at": r.created_at.isoformat()}
                        for r in household.referrals.all()
                        if r.pk != referral.pk
                    ],
                },
            }
        )
    return rows
