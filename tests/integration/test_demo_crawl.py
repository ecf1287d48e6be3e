"""Every page a demo user can reach by following links answers without a server error.

Loads the demo data, signs in as each demo user, and follows the links of the pages it sees
(same site, GET only, a bounded breadth-first walk): a 500 anywhere, or a page that lets a role
in and then fails, is caught here whatever area it belongs to.
"""
import io
import re
from collections import deque

import pytest
from django.core.management import call_command

from grocery.models import User

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="(/[^"#?]*)(?:\?[^"#]*)?"')
SKIP = ("/static/", "/admin/", "/deconnexion/", "/api/", "/i18n/")
MAX_PAGES = 250


def _crawl(client) -> tuple[set[str], list[str]]:
    seen, queue, failures = set(), deque(["/"]), []
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or path.startswith(SKIP):
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {path}")
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in LINK.findall(response.content.decode()):
            if link not in seen:
                queue.append(link)
    return seen, failures


def test_every_linked_page_renders_for_every_demo_user(page):
    # One seed for the four users: loading the demo data is the slow part.
    call_command("seed_demo", stdout=io.StringIO())
    for username in ("benevole", "ccas", "partenaire", "responsable"):
        seen, failures = _crawl(page(User.objects.get(username=username)))
        assert failures == [], username
        assert len(seen) > 3, f"{username} reached only {sorted(seen)}"
