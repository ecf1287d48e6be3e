"""The till page and the scanner test page.

The till is a single page driven by plain ES modules (frontend/static/frontend/till/): the view
only hands them the site, its tills with their open session, the API addresses and what the
signed-in person may do. Every write goes through the counter's API (POST /api/v1/sales/…), the
same services the rest of the project uses.
"""
import hashlib
import uuid

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from beneficiaries import cards as card_numbers
from beneficiaries.models import Card, Entitlement
from grocery.models import CashSession, Site, Till
from grocery.permissions import Role, has_capability, has_role, requires

#: Denominations counted when opening and closing a till (euro notes and coins).
DENOMINATIONS = [
    "50.00", "20.00", "10.00", "5.00",  # notes
    "2.00", "1.00", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01",  # coins
]

ENTITLEMENT_STATUS_LABELS = {
    "active": "actif",
    "suspended": "suspendu",
    "ended": "terminé",
    "expired": "expiré",
    "pending": "en attente",
}
#: Card numbers (beneficiaries.cards): 10 digits, the last a Luhn check digit. Anything else
#: scanned is looked up in the catalogue.
CARD_PATTERN = rf"^{card_numbers.PREFIX}\d{{{card_numbers.LENGTH - len(card_numbers.PREFIX)}}}$"
#: A scan is a burst of keys at most this far apart (ms). Scanners send 5-30 ms apart, people
#: type 100 ms or more apart; some Bluetooth scanners need more (settings.TILL_SCAN_MAX_GAP_MS).
DEFAULT_SCAN_MAX_GAP_MS = 60
#: The till's static files (the service worker keeps them for offline reloads).
TILL_ASSETS = ["till.css", "till.js", "scanner.js", "sale.js", "offline.js", "ui.js"]
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_RESULTS = 10
PAYMENT_METHOD_LABELS = {"cash": "Espèces", "card": "Carte bancaire", "cheque": "Chèque"}


def _site_for(request) -> Site | None:
    """The site this till serves: `?site=<code>` if given, else the person's default site."""
    code = request.GET.get("site")
    if code:
        site = Site.objects.filter(code=code, is_active=True).first()
        if site is not None:
            return site
    if request.user.default_site_id:
        return request.user.default_site
    return Site.objects.filter(is_active=True).order_by("name").first()


def _tills(site: Site | None) -> list[dict]:
    """The site's active tills, each with its open cash session (if any): two queries."""
    if site is None:
        return []
    open_sessions = Prefetch(
        "sessions", queryset=CashSession.objects.filter(closed_at__isnull=True), to_attr="open_sessions"
    )
    tills = Till.objects.filter(site=site, is_active=True).prefetch_related(open_sessions).order_by("name")
    return [
        {
            "id": till.pk,
            "name": till.name,
            "open_session": (
                {"id": till.open_sessions[0].pk, "opened_at": till.open_sessions[0].opened_at.isoformat()}
                if till.open_sessions
                else None
            ),
        }
        for till in tills
    ]


def _url_template(name: str, sample, placeholder: str = "__id__") -> str | None:
    """A route with its one argument left as a placeholder the script fills in."""
    try:
        return reverse(name, args=[sample]).replace(str(sample), placeholder)
    except NoReverseMatch:  # the counter's printable pages are not there
        return None


@requires("till.use")
def till(request):
    site = _site_for(request)
    tills = _tills(site)
    api = reverse("api-me").removesuffix("me/")
    config = {
        "site": {"id": site.pk, "name": site.name} if site else None,
        "tills": tills,
        "renderedAt": timezone.now().isoformat(),
        "urls": {
            "till": reverse("till"),
            "ping": reverse("api-me"),
            "card": f"{api}cards/__number__/",
            "cardSearch": reverse("till_household_search") + (f"?site={site.code}&q=" if site else "?q="),
            "sales": f"{api}sales/",
            "sessions": f"{api}cash-sessions/",
            "tillDetail": f"{api}tills/__id__/",
            "close": f"{api}cash-sessions/__id__/close/",
            "zreport": f"{api}cash-sessions/__id__/z-report/",
            "catalogue": f"{api}sites/{site.pk}/catalogue/" if site else None,
            "receipt": _url_template("counter_receipt", uuid.UUID(int=0)),
            "zReportPage": _url_template("counter_z_report", 999999),
            "serviceWorker": reverse("till_service_worker") if _service_worker_on() else None,
        },
        "user": {
            "name": request.user.get_full_name() or request.user.username,
            "canOverride": has_capability(request.user, "limit.override"),
            "isManager": has_role(request.user, Role.MANAGER) or request.user.is_superuser,
        },
        "denominations": DENOMINATIONS,
        "statusLabels": ENTITLEMENT_STATUS_LABELS,
        "methodLabels": PAYMENT_METHOD_LABELS,
        "defaultRate": "0.200",
        "pingEveryMs": 3000,
        "scanMaxGapMs": _scan_max_gap_ms(),
        "cardPattern": CARD_PATTERN,
    }
    return render(request, "frontend/till/till.html", {"site": site, "tills": tills, "config": config})


def _service_worker_on() -> bool:
    return bool(getattr(settings, "TILL_SERVICE_WORKER", True))


def _scan_max_gap_ms() -> int:
    return int(getattr(settings, "TILL_SCAN_MAX_GAP_MS", DEFAULT_SCAN_MAX_GAP_MS))


@requires("till.use")
def scanner_test(request):
    config = {"scanMaxGapMs": _scan_max_gap_ms()}
    return render(request, "frontend/till/scanner_test.html", {"config": config})


@requires("card.lookup")
def household_search(request):
    """The till's "search by name", for a household that forgot its card: the households with an
    entitlement in force at this site whose name contains the query. Names and card numbers
    only, as the card lookup shows them; nothing else about the household."""
    query = request.GET.get("q", "").strip()
    site = _site_for(request)
    if len(query) < SEARCH_MIN_LENGTH or site is None:
        return JsonResponse({"results": []})
    today = timezone.localdate()
    in_force_here = Entitlement.objects.filter(
        household_id=OuterRef("household_id"),
        status__in=Entitlement.IN_FORCE,
        start__lte=today,
        end__gte=today,
        sites=site,
    )
    cards = (
        Card.objects.filter(is_active=True, household__display_name__icontains=query)
        .filter(household__anonymised_at__isnull=True)
        .filter(Exists(in_force_here))
        .select_related("household")
        .order_by("household__display_name", "number")[:SEARCH_MAX_RESULTS]
    )
    return JsonResponse(
        {"results": [{"number": card.number, "display_name": card.household.display_name} for card in cards]}
    )


@requires("till.use")
def service_worker(request):
    """The till's service worker, served under /caisse/ so that it may control the till page."""
    # In production static names carry a hash of their content (manifest storage): a new
    # deployment gives a new cache name, and the old cache is dropped on activation.
    names = "|".join(static(f"frontend/till/{name}") for name in TILL_ASSETS)
    version = hashlib.sha1(names.encode()).hexdigest()[:12]
    body = render_to_string("frontend/till/sw.js", {"version": version}, request=request)
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("till")
    response["Cache-Control"] = "no-cache"
    return response
