"""Run the daily jobs now, in this process: `python manage.py run_daily_jobs`.

`--only entitlements` or `--only expiry` runs one of them; `--site CODE` limits the expiry watch
to one site; `--date YYYY-MM-DD` runs them as on another day.
"""
import datetime

from django.core.management.base import BaseCommand, CommandError

from beneficiaries.tasks import entitlement_lifecycle
from grocery.jobs.runs import run_job_now
from grocery.models import Site
from stock.tasks import expiry_watch_site


class Command(BaseCommand):
    help = "Tâches quotidiennes : cycle de vie des droits et veille des péremptions."

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=["entitlements", "expiry"])
        parser.add_argument("--site", help="Code de l'épicerie (veille des péremptions).")
        parser.add_argument("--date", help="Date de référence AAAA-MM-JJ (par défaut : aujourd'hui).")

    def handle(self, *args, only=None, site=None, date=None, **options):
        if date:
            try:
                datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"Date invalide : {date!r} (format AAAA-MM-JJ).") from None
        runs = []
        if only in (None, "entitlements"):
            runs.append(run_job_now(entitlement_lifecycle, on_date=date))
        if only in (None, "expiry"):
            sites = Site.objects.filter(is_active=True).order_by("pk")
            if site:
                sites = sites.filter(code=site)
                if not sites.exists():
                    raise CommandError(f"Épicerie inconnue ou inactive : {site!r}.")
            for site_id in sites.values_list("pk", flat=True):
                runs.append(run_job_now(expiry_watch_site, site_id=site_id, on_date=date))
        for run in runs:
            self.stdout.write(f"{run.task} {run.args} : {run.get_status_display()} "
                              f"en {run.duration_ms} ms — {run.counts}")
