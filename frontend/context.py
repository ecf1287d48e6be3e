"""Template context: the navigation a signed-in person may use, by capability."""
from django.urls import NoReverseMatch, reverse

from grocery.permissions import has_capability

# (label, url name, capability). Entries whose page does not exist yet are left out.
NAVIGATION = [
    ("Accueil", "home", "account.use"),
    ("Caisse", "till", "till.use"),
    ("Commission", "referral_queue", "referral.decide"),
    ("Orientations", "referral_list", "referral.view"),
    ("Foyers", "household_list", "household.view"),
    ("Ateliers", "workshop_list", "workshop.manage"),
    ("Catalogue", "catalogue", "catalogue.view"),
    ("Stock", "stock_levels", "stock.view"),
    ("Dons", "donation_list", "donation.log"),
    ("Réception", "donation_receive_list", "donation.receive"),
    ("Inventaires", "stocktake_list", "stock.manage"),
    ("Attestations", "attestation_list", "attestation.view"),
    ("Rapports", "reports", "reports.view"),
    ("Bilans mensuels", "statement_list", "reports.view"),
    ("Alertes stock", "expiry_alerts", "stock.view"),
    ("Notifications", "notification_list", "notifications.view"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, url_name, capability in NAVIGATION:
        if not has_capability(user, capability):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"})
    return {"nav_items": items}
