"""Every role × every route: the view enforces the capability it declares, and the table of
capabilities says what the issues ask of each role."""
import pytest

from grocery.permissions import CAPABILITIES, Role, has_capability
from tests.route_walker import all_routes

pytestmark = pytest.mark.django_db


def test_every_route_declares_a_capability():
    undeclared = [f"{r.method.upper()} {r.path} ({r.name})" for r in all_routes() if not r.capability]
    assert undeclared == []


def test_the_walk_finds_the_routes():
    paths = {r.path for r in all_routes()}
    assert {"/healthz", "/connexion/", "/api/v1/me/", "/api/schema/", "/api/docs/"} <= paths


def _call(client, route):
    return getattr(client, route.method)(route.path, {} if route.method == "get" else None)


def test_matrix(role_users, outsider, api, page):
    """For each route and each role: refused (403) without the capability, let through (any
    answer but 401/403 and the login redirect) with it. Anonymous users are refused too."""
    problems = []
    users = dict(role_users)
    users["outsider"] = outsider
    for route in all_routes():
        if route.capability == "public":
            continue
        for role, user in users.items():
            allowed = role != "outsider" and has_capability(user, route.capability)
            client = api(user) if route.is_api else page(user)
            response = _call(client, route)
            status = response.status_code
            redirected_to_login = status == 302 and "/connexion/" in response.get("Location", "")
            if allowed and (status in (401, 403) or redirected_to_login):
                problems.append(f"{role} refused ({status}) on {route.method.upper()} {route.path}")
            if not allowed and status != 403:
                problems.append(f"{role} not refused ({status}) on {route.method.upper()} {route.path}")
        anonymous = _call(api() if route.is_api else page(), route)
        if route.is_api:
            if anonymous.status_code not in (401, 403):
                problems.append(f"anonymous got {anonymous.status_code} on {route.path}")
        elif not (anonymous.status_code == 302 and "/connexion/" in anonymous["Location"]):
            problems.append(f"anonymous not sent to login ({anonymous.status_code}) on {route.path}")
    assert problems == []


def test_admin_is_closed_to_non_staff(role_users, page):
    for user in role_users.values():
        response = page(user).get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("role", "capability", "expected"),
    [
        # Volunteers run the till and see only what the card lookup says.
        (Role.VOLUNTEER, "till.use", True),
        (Role.VOLUNTEER, "card.lookup", True),
        (Role.VOLUNTEER, "household.view", False),
        (Role.VOLUNTEER, "household.view_budget", False),
        (Role.VOLUNTEER, "referral.view", False),
        # CCAS staff: households, budgets, referrals and the commission, not the till.
        (Role.CCAS_STAFF, "household.view_budget", True),
        (Role.CCAS_STAFF, "referral.decide", True),
        (Role.CCAS_STAFF, "till.use", False),
        (Role.CCAS_STAFF, "household.export", False),
        # Partners: their own referrals and donations only (object level in selectors).
        (Role.PARTNER, "referral.create", True),
        (Role.PARTNER, "donation.log", True),
        (Role.PARTNER, "referral.decide", False),
        (Role.PARTNER, "household.view", False),
        (Role.PARTNER, "household.view_budget", False),
        (Role.PARTNER, "stock.view", False),
        (Role.PARTNER, "till.use", False),
        # Managers: everything of the grocery, including exports and overrides.
        (Role.MANAGER, "household.export", True),
        (Role.MANAGER, "limit.override", True),
        (Role.MANAGER, "settings.manage", True),
    ],
)
def test_capability_table(role_users, role, capability, expected):
    assert has_capability(role_users[role], capability) is expected


def test_unknown_capability_is_a_programming_error(manager):
    with pytest.raises(KeyError):
        has_capability(manager, "no.such.thing")


def test_every_capability_is_held_by_some_role():
    assert all(CAPABILITIES[c] for c in CAPABILITIES)
