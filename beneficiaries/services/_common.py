"""Helpers shared by the services: validated money, the household lock, transitions."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from grocery.errors import DomainError

from ..models import Household

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: Above this, a monthly amount is a typing mistake rather than a budget.
ABSURD_AMOUNT = Decimal("100000")


def money(value, field: str, *, allow_negative: bool = False, maximum: Decimal = ABSURD_AMOUNT) -> Decimal:
    """A Decimal with 2 places, or a DomainError naming the field (`invalid_amount`)."""
    try:
        amount = Decimal(str(value).strip().replace(",", ".")).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError.for_field(field, _("Montant invalide."), "invalid_amount") from None
    if not amount.is_finite() or abs(amount) > maximum:
        raise DomainError.for_field(field, _("Montant invalide ou trop élevé."), "invalid_amount")
    if amount < 0 and not allow_negative:
        raise DomainError.for_field(field, _("Le montant ne peut pas être négatif."), "invalid_amount")
    return amount


def lock_household(household_id: int) -> Household:
    """Serialise writes on one household (entitlements, budgets, cards)."""
    return Household.objects.select_for_update().get(pk=household_id)


def actor_or_none(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def required_text(value, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError.for_field(field, message, "required")
    return text
