"""Browser fixtures: Debian's chromium driven by Playwright (sync API) against pytest-django's
live server, with a signed-in session cookie and screenshots into docs/screenshots/."""
import os
from pathlib import Path

import pytest

from tests.conftest import chromium_path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

#: The flags this machine and CI need: no sandbox in containers, no GPU, nothing fetched from
#: the network by the browser itself.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """Live-server tests run in real transactions, which flush the groups the data migration
    made: make them again before the user fixtures need them."""
    from django.contrib.auth.models import Group

    from grocery.permissions import Role

    for role in Role:
        Group.objects.get_or_create(name=role.value)


@pytest.fixture(autouse=True)
def _patient_scanner(settings):
    """The test machine may be loaded (CI, shared cores): the keys the tests send as a scanner
    can arrive further apart than a real scanner's, so the burst limit is wider here, and the
    tests type "by hand" slower still (`type_slowly`)."""
    settings.TILL_SCAN_MAX_GAP_MS = 250


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in a
    # thread with a running loop unless told it is safe (it is: the loop is Playwright's own).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser, live_server):
    """`browser_page(user)`: a 1280×800 tab signed in as `user`, in a fresh browser profile
    (its own IndexedDB), with console errors collected in `page.console_errors`; service
    workers blocked unless `service_workers="allow"`."""
    from django.conf import settings
    from django.test import Client

    contexts = []

    def make(user, *, viewport=None, service_workers="block"):
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            viewport=viewport or {"width": 1280, "height": 800},
            locale="fr-FR",
            base_url=live_server.url,
            # Requests a service worker answers escape page.route(); only the test of the
            # service worker itself lets it run.
            service_workers=service_workers,
        )
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        # No favicon is served; keep its 404 out of the console errors the tests check.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(tmp_path):
    """`screenshot(page, "till-1-open")` takes a picture of the page. It goes to
    docs/screenshots/till-1-open.png (shown in the README) when that file does not exist yet or
    with UPDATE_SCREENSHOTS=1; otherwise to the test's temporary folder, so that running the
    suite does not rewrite committed pictures that only differ by a date or a number."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    update = os.environ.get("UPDATE_SCREENSHOTS") == "1"

    def take(page, name: str):
        page.wait_for_timeout(400)  # let the scan flash fade
        target = SCREENSHOTS / f"{name}.png"
        if target.exists() and not update:
            target = tmp_path / f"{name}.png"
        page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000  # a real picture of the page, not a blank one

    return take


# AZERTY: the keys of the top row give these characters without Shift.
AZERTY_DIGITS = dict(zip("1234567890", "&é\"'(-è_çà", strict=True))


def azerty_scan(page, code: str):
    """Real (trusted) key events as an AZERTY keyboard sends them: `key` is the AZERTY
    character, `code` the digit key, then Enter. Sent through the DevTools protocol so the
    characters really land in a focused box, as a scanner's would."""
    cdp = page.context.new_cdp_session(page)
    for digit in code:
        key = AZERTY_DIGITS[digit]
        common = {"key": key, "code": f"Digit{digit}", "windowsVirtualKeyCode": 48 + int(digit)}
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": key, **common})
        cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **common})
    enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
    cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **enter})
    cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **enter})
    cdp.detach()


def scan(page, code: str):
    """A scanner: the digits as a burst of keys, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def type_slowly(page, text: str):
    """A person typing: slower than any scanner."""
    page.keyboard.type(text, delay=400)
