"""Who may do what: the one place that maps roles to capabilities.

Roles are Django groups (created by a data migration). Every API view and page declares the
capability it needs; `HasCapability` (DRF) and `requires` (pages) check it. Object-level rules
(a partner sees only its own records) live in each app's selectors, which filter querysets.
"""
from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework.permissions import BasePermission


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    CCAS_STAFF = "ccas_staff"
    PARTNER = "partner"
    MANAGER = "manager"


V, C, P, M = Role.VOLUNTEER, Role.CCAS_STAFF, Role.PARTNER, Role.MANAGER
ALL_ROLES = frozenset(Role)

#: capability -> roles that hold it. Superusers hold every capability.
CAPABILITIES: dict[str, frozenset[Role]] = {
    # Anyone signed in
    "account.use": ALL_ROLES,  # home page, password change, API docs
    # Beneficiaries
    "card.lookup": frozenset({V, C, M}),  # what the till needs, nothing sensitive
    "household.view": frozenset({C, M}),
    "household.manage": frozenset({C, M}),
    "household.view_budget": frozenset({C, M}),  # income, expenses, debts, notes
    "household.export": frozenset({M}),  # GDPR access request, anonymisation
    "referral.view": frozenset({C, P, M}),  # partners: only their own (selectors)
    "referral.create": frozenset({C, P, M}),
    "referral.decide": frozenset({C, M}),  # commission: approve / refuse
    "entitlement.manage": frozenset({C, M}),
    "goal.manage": frozenset({C, M}),
    "workshop.manage": frozenset({C, M}),
    # Stock
    "catalogue.view": frozenset({V, C, P, M}),
    "catalogue.manage": frozenset({M}),
    "stock.view": frozenset({V, M}),
    "stock.manage": frozenset({M}),  # waste, transfers, stocktakes, purchases, temperatures
    "donation.log": frozenset({P, M}),  # partners: only their own (selectors)
    "donation.receive": frozenset({V, M}),
    "attestation.view": frozenset({P, M}),  # partners: only their own
    # Counter
    "till.use": frozenset({V, M}),  # open/close sessions, record sales, receipts
    "sale.view": frozenset({V, M}),
    "sale.refund": frozenset({M}),
    "limit.override": frozenset({M}),
    "cash.accept_difference": frozenset({M}),
    "pricing.manage": frozenset({M}),
    # Reports and settings
    "reports.view": frozenset({C, M}),
    "notifications.view": frozenset({V, C, P, M}),
    "settings.manage": frozenset({M}),
}


def roles_of(user) -> frozenset[Role]:
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_epicerie_roles", None)
    if cached is None:
        names = {g.name for g in user.groups.all()}
        cached = frozenset(role for role in Role if role.value in names)
        user._epicerie_roles = cached
    return cached


def has_capability(user, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}: declare it in grocery.permissions.")
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(roles_of(user) & CAPABILITIES[capability])


def has_role(user, role: Role) -> bool:
    return role in roles_of(user)


def is_partner_only(user) -> bool:
    """A partner user with no staff role: object-level filters restrict it to its organisation."""
    return not user.is_superuser and roles_of(user) <= {Role.PARTNER} and has_role(user, P)


def capability_for(view, request) -> str | None:
    """The capability a DRF view requires for this request.

    Views set `capability` (one for all actions) and/or `capabilities`, a dict from action name
    (or HTTP method in lower case for APIViews) to capability.
    """
    per_action = getattr(view, "capabilities", None) or {}
    action = getattr(view, "action", None)
    if action and action in per_action:
        return per_action[action]
    method = request.method.lower()
    if method in per_action:
        return per_action[method]
    return getattr(view, "capability", None)


class HasCapability(BasePermission):
    """Default DRF permission: the view must declare a capability, and the user must hold it."""

    message = "Vous n'avez pas le droit de faire cette action."

    def has_permission(self, request, view) -> bool:
        capability = capability_for(view, request)
        if capability is None:
            # A view that forgot to declare what it needs is closed, never open.
            return False
        if capability == "public":
            return True
        return has_capability(request.user, capability)


def requires(capability: str) -> Callable:
    """Decorator for page views: redirect anonymous users to login, 403 without the capability."""
    if capability != "public" and capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}")

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if capability != "public":
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                if not has_capability(request.user, capability):
                    raise DjangoPermissionDenied
            return view_func(request, *args, **kwargs)

        wrapper.capability = capability
        return wrapper

    return decorator
