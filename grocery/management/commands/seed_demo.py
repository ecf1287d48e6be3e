"""Load the demo data (idempotent) and print the demo logins."""
from django.core.management.base import BaseCommand

from grocery.demo import DEMO_PASSWORD, USERS, seed


class Command(BaseCommand):
    help = "Crée les données de démonstration (sans effet si elles existent déjà)."

    def handle(self, *args, **options):
        context = seed()
        for line in context.log:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write("Comptes de démonstration (à ne jamais utiliser en production) :")
        for username, _first, _last, role, _partner in USERS:
            self.stdout.write(f"  {username:<12} / {DEMO_PASSWORD}   rôle {role.value}")
        self.stdout.write(f"  {'admin':<12} / {DEMO_PASSWORD}   administrateur (/admin/)")
