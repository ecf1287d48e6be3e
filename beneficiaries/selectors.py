"""Reads of beneficiaries shared by several callers: the till's card lookup, the entitlement in
force, and the querysets each role may see (object-level privacy lives here)."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grocery.errors import Conflict, DomainError, NotFound

from . import cards as card_numbers
from .dates import first_of_month
from .models import AllowanceMonth, Card, Entitlement

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
    """Exactly what the till needs about a card, nothing sensitive (CONTRACT.md)."""
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
