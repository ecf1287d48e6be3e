"""Template helpers of the stock pages."""

import datetime

from django import template

from grocery.permissions import has_capability

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """`{% if request.user|can:"stock.manage" %}`: show only the links a person may follow."""
    return has_capability(user, capability)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def iso_date(value) -> str:
    """A date kept as ISO text (attestation content) shown the French way: 2026-11-23 → 23/11/2026."""
    if not value:
        return ""
    try:
        return datetime.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


@register.filter
def person(user) -> str:
    """Who did it: the full name, else the username, else a dash (the actor may be gone)."""
    if user is None:
        return "—"
    return user.get_full_name() or user.username
