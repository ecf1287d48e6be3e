"""Shared fixtures: one user per role (plus an outsider), sites, partner organisations, API
clients, and the service markers (postgres, redis, browser) that skip with a reason when the
service is absent, or fail when REQUIRE_SERVICES=1 (as CI sets it)."""
import os
import shutil

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from grocery.permissions import Role
from tests.factories.core import PartnerOrganisationFactory, SiteFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _postgres() -> str | None:
    engine = settings.DATABASES["default"]["ENGINE"]
    return None if "postgresql" in engine else "needs PostgreSQL: set DATABASE_URL=postgresql://…"


def _redis() -> str | None:
    if not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis at {settings.REDIS_URL} does not answer ({type(exc).__name__})"
    return None


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


def _browser() -> str | None:
    if not chromium_path():
        return "needs Debian's chromium (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs the playwright package"
    return None


SERVICE_CHECKS = {"postgres": _postgres, "redis": _redis, "browser": _browser}


def pytest_runtest_setup(item):
    for marker, check in SERVICE_CHECKS.items():
        if item.get_closest_marker(marker) is None:
            continue
        reason = check()
        if reason:
            if REQUIRE_SERVICES:
                pytest.fail(f"REQUIRE_SERVICES=1 but the test {reason}", pytrace=False)
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager_by_default():
    """Tasks run in-process unless a test asks for the real worker (tests/jobs `run_task`,
    `real_worker`), whatever REDIS_URL says: no test waits on a broker by accident."""
    from grocery.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def site(db):
    return SiteFactory(name="Épicerie du Centre", code="centre")


@pytest.fixture
def other_site(db):
    return SiteFactory(name="Épicerie des Collines", code="collines")


@pytest.fixture
def partner_org(db):
    return PartnerOrganisationFactory(name="Secours Solidaire", kind="charity")


@pytest.fixture
def other_partner_org(db):
    return PartnerOrganisationFactory(name="Restos du Quartier", kind="charity")


@pytest.fixture
def volunteer(db, site):
    return UserFactory(username="benevole", roles=[Role.VOLUNTEER], default_site=site)


@pytest.fixture
def ccas(db):
    return UserFactory(username="ccas", roles=[Role.CCAS_STAFF])


@pytest.fixture
def partner_user(db, partner_org):
    return UserFactory(username="partenaire", roles=[Role.PARTNER], partner=partner_org)


@pytest.fixture
def other_partner_user(db, other_partner_org):
    return UserFactory(username="autre_partenaire", roles=[Role.PARTNER], partner=other_partner_org)


@pytest.fixture
def manager(db, site):
    return UserFactory(username="responsable", roles=[Role.MANAGER], default_site=site)


@pytest.fixture
def outsider(db):
    """Signed in, but with no role at all."""
    return UserFactory(username="sans_role", roles=[])


@pytest.fixture
def role_users(volunteer, ccas, partner_user, manager):
    return {
        Role.VOLUNTEER: volunteer,
        Role.CCAS_STAFF: ccas,
        Role.PARTNER: partner_user,
        Role.MANAGER: manager,
    }


@pytest.fixture
def api():
    """`api(user)` gives an API client signed in as that user (or anonymous with None)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def page():
    """`page(user)` gives a browser-like test client with that user's session."""
    from django.test import Client

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
