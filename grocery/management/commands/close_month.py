"""Close a month by hand: `python manage.py close_month 2026-10` (default: last month).

With --reconcile, re-close the recent closed months instead (what the nightly run does).
"""
from django.core.management.base import BaseCommand, CommandError

from grocery.jobs.monthly import parse_month
from grocery.jobs.runs import run_job_now
from grocery.models.jobs import JobRun
from grocery.tasks import close_month, reconcile_closed_months


class Command(BaseCommand):
    help = "Clôture mensuelle : un bilan par foyer ayant un droit dans le mois (AAAA-MM)."

    def add_arguments(self, parser):
        parser.add_argument(
            "month", nargs="?", help="Mois à clôturer, AAAA-MM (par défaut : le mois dernier)."
        )
        parser.add_argument("--reconcile", action="store_true",
                            help="Recalculer les derniers mois clôturés (ventes arrivées en retard).")

    def handle(self, *args, month=None, reconcile=False, **options):
        if reconcile and month:
            raise CommandError("Indiquez un mois ou --reconcile, pas les deux.")
        if reconcile:
            run = run_job_now(reconcile_closed_months)
        else:
            if month:
                try:
                    parse_month(month)
                except ValueError as exc:
                    raise CommandError(str(exc)) from None
            run = run_job_now(close_month, month=month)
        if run.status == JobRun.Status.SKIPPED:
            raise CommandError(f"Clôture déjà en cours ailleurs : {run.error}")
        self.stdout.write(self.style.SUCCESS(
            f"{run.task} : {run.get_status_display()} en {run.duration_ms} ms — {run.counts}"
        ))
