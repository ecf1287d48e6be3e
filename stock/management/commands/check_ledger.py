"""Rebuild every lot's quantity from the movement ledger and report any difference.

Exit status 1 when a difference is found, so a cron job or CI notices. `--fix` writes the
ledger's figure into the cached column (the ledger is the truth), with an audit entry.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from grocery.audit import log_action
from stock.models import Lot
from stock.selectors import ledger_differences


class Command(BaseCommand):
    help = "Recalcule les quantités des lots depuis le journal des mouvements et signale les écarts."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Corrige les quantités en cache.")

    def handle(self, *args, fix=False, **options):
        differences = ledger_differences()
        lots = Lot.objects.count()
        if not differences:
            self.stdout.write(
                self.style.SUCCESS(f"Journal cohérent : {lots} lot(s) vérifié(s), aucun écart.")
            )
            return
        for row in differences:
            self.stdout.write(
                f"Lot #{row['lot']} : en cache {row['cached']}, selon le journal {row['ledger']}"
            )
        if fix:
            with transaction.atomic():
                for row in differences:
                    lot = Lot.objects.select_for_update().get(pk=row["lot"])
                    lot.quantity_on_hand = row["ledger"]
                    lot.save(update_fields=["quantity_on_hand"])
                    log_action(None, "stock.ledger_fixed", lot, cached=row["cached"], ledger=row["ledger"])
            self.stdout.write(self.style.WARNING(f"{len(differences)} lot(s) corrigé(s) depuis le journal."))
            return
        raise CommandError(f"{len(differences)} écart(s) entre les lots et le journal des mouvements.")
