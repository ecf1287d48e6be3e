"""Template helpers of the stock pages."""

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
