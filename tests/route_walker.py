"""Enumerates every route of the project with the capability each method requires.

Used by the permission-matrix test; a route whose view declares no capability is reported, so a
new endpoint cannot be added without saying who may use it.
"""
import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIRequestFactory

from grocery.permissions import capability_for

# Routes outside the matrix, with the reason.
EXCLUDED_PREFIXES = {
    "admin/": "Django admin: its own staff-only authentication (tested separately)",
    "i18n/": "language switch, public by design",
    "static/": "static files",
}

SAMPLES = {"int": "999999", "uuid": str(uuid.UUID(int=7)), "pk": "999999"}


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    capability: str | None
    name: str
    is_api: bool


def _iter_patterns(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _iter_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _concrete(route: str) -> str | None:
    """A concrete path for a route or regex, with sample values for parameters."""
    if "(?P<format>" in route or "<format>" in route or "<drf_format_suffix" in route:
        return None  # format-suffix duplicates of routes already walked
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")

    def sample(name: str, converter: str = "str") -> str:
        if converter in SAMPLES:
            return SAMPLES[converter]
        if name in ("pk", "id") or name.endswith("_id") or name.endswith("_pk"):
            return "999999"
        if "uuid" in name:
            return SAMPLES["uuid"]
        return "0000000000000"

    # Regex groups first (their `<name>` must not be taken for a path converter), then converters.
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: sample(m.group(1)), route)
    route = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: sample(m.group(2), m.group(1) or "str"), route)
    route = route.replace("/?", "/")
    return "/" + route


def all_routes() -> list[Route]:
    factory = APIRequestFactory()
    routes: list[Route] = []
    for route, pattern in _iter_patterns(get_resolver().url_patterns):
        if any(route.lstrip("^").startswith(p) for p in EXCLUDED_PREFIXES):
            continue
        path = _concrete(route)
        if path is None:
            continue
        callback = pattern.callback
        name = pattern.name or route
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        actions = getattr(callback, "actions", None)
        if view_class is not None and hasattr(view_class, "permission_classes"):
            # A DRF view: one entry per method it answers.
            methods = actions.keys() if actions else [
                m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)
            ]
            for method in methods:
                view = view_class()
                view.action = actions.get(method) if actions else None
                view.kwargs = {}
                request = getattr(factory, method)(path)
                routes.append(Route(path, method, capability_for(view, request), name, True))
        else:
            capability = getattr(callback, "capability", None)
            routes.append(Route(path, "get", capability, name, False))
    return routes
