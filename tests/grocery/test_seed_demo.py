"""The demo data loads, prints the logins, and a second run changes nothing."""
import io

import pytest
from django.apps import apps
from django.core.management import call_command

from grocery.models import Site, User

pytestmark = pytest.mark.django_db


def _counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in
            ("grocery", "beneficiaries", "stock") and m._meta.label != "grocery.AuditEntry"}


def test_seed_demo_is_idempotent():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "responsable" in out.getvalue() and "epicerie-demo" in out.getvalue()
    first = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first
    assert Site.objects.count() == 2
    for username in ("benevole", "ccas", "partenaire", "responsable"):
        user = User.objects.get(username=username)
        assert user.check_password("epicerie-demo")
        assert user.groups.count() == 1
