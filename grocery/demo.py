"""Demo data for `manage.py seed_demo`: sites, partner organisations and one user per role,
then each app's own demo data. Idempotent: every row is found by a natural key before it is
created, so running it twice changes nothing."""
import importlib
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import transaction

from .models import PartnerOrganisation, Site, User
from .permissions import Role

DEMO_PASSWORD = "epicerie-demo"

SITES = [
    {
        "code": "centre",
        "name": "Épicerie solidaire du Centre",
        "address": "12 rue Saint-Jean",
        "postcode": "14000",
        "city": "Caen",
        "phone": "02 31 00 00 01",
        "opening_hours": "Mardi 9h-12h, jeudi 14h-18h, samedi 9h-12h",
    },
    {
        "code": "collines",
        "name": "Épicerie solidaire des Collines",
        "address": "3 place des Tilleuls",
        "postcode": "14200",
        "city": "Hérouville-Saint-Clair",
        "phone": "02 31 00 00 02",
        "opening_hours": "Lundi 14h-18h, mercredi 9h-12h",
    },
]

PARTNERS = [
    {"name": "Banque Alimentaire du Calvados", "kind": "food_bank", "siret": "77567227221138"},
    {"name": "Secours Solidaire de Caen", "kind": "charity", "siret": ""},
    {"name": "Supermarché Les Halles", "kind": "store", "siret": "73282932000074"},
]

USERS = [
    # username, first name, last name, role, partner index
    ("benevole", "Brigitte", "Lefèvre", Role.VOLUNTEER, None),
    ("ccas", "Karim", "Benali", Role.CCAS_STAFF, None),
    ("partenaire", "Sophie", "Moreau", Role.PARTNER, 1),
    ("responsable", "Jean", "Dupont", Role.MANAGER, None),
]

#: Modules whose `seed(context)` adds demo data, in order. Each must be idempotent.
APP_SEEDERS = ["stock.demo", "beneficiaries.demo", "grocery.counter.demo"]


@dataclass
class DemoContext:
    sites: list[Site]
    partners: list[PartnerOrganisation]
    users: dict[str, User]
    log: list[str] = field(default_factory=list)


@transaction.atomic
def seed() -> DemoContext:
    sites = [Site.objects.get_or_create(code=s["code"], defaults=s)[0] for s in SITES]
    partners = [
        PartnerOrganisation.objects.get_or_create(name=p["name"], defaults=p)[0] for p in PARTNERS
    ]
    users = {}
    for username, first, last, role, partner_index in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "partner": partners[partner_index] if partner_index is not None else None,
                "default_site": sites[0],
                "email": f"{username}@example.org",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(Group.objects.get(name=str(role)))
        users[username] = user
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.org"},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    users["admin"] = admin

    context = DemoContext(sites=sites, partners=partners, users=users)
    for module_name in APP_SEEDERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that part of the application has no demo data yet
            raise
        module.seed(context)
    return context
