"""The counter: tills and cash sessions, sales with their lines, lots and payments, refunds,
pricing rules and limits, and the settings a grocery may change.

A sale's primary key is the UUID the till made: the database, not a lookup, makes a resubmitted
sale a replay. Receipt numbers come from one counter row per site, taken inside the sale's
transaction, so they are sequential without gaps.
"""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .core import Site

MONEY = {"max_digits": 10, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}
RATE = {
    "max_digits": 4,
    "decimal_places": 3,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
}

#: Euro notes and coins a cash count may list, as strings with two decimals.
DENOMINATIONS = (
    "500.00", "200.00", "100.00", "50.00", "20.00", "10.00", "5.00",
    "2.00", "1.00", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01",
)


class CounterSettings(models.Model):
    """Counter rules a grocery may change (one row, edited in the admin)."""

    cash_difference_threshold = models.DecimalField(
        _("écart de caisse toléré (€)"), **MONEY, default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Au-delà, la clôture de caisse doit être validée par un responsable."),
    )
    food_bank_max_rate = models.DecimalField(
        _("taux maximum, produits Banque Alimentaire"), **RATE, default=Decimal("0.100")
    )
    pnaa_max_rate = models.DecimalField(
        _("taux maximum, produits achetés sur crédits PNAA"), **RATE, default=Decimal("0.200")
    )
    min_days_between_visits = models.PositiveSmallIntegerField(
        _("jours minimum entre deux passages"), default=0, help_text=_("0 : pas de minimum.")
    )
    max_visits_per_month = models.PositiveSmallIntegerField(
        _("passages maximum par mois"), default=0, help_text=_("0 : pas de maximum.")
    )

    class Meta:
        verbose_name = _("réglages de la caisse")
        verbose_name_plural = _("réglages de la caisse")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def get_solo(cls) -> "CounterSettings":
        return cls.objects.get_or_create(pk=1)[0]

    def origin_ceilings(self) -> dict[str, Decimal]:
        return {"food_bank": self.food_bank_max_rate, "pnaa": self.pnaa_max_rate}


class Till(models.Model):
    """A checkout of a site (a laptop or tablet with a scanner and a cash drawer)."""

    site = models.ForeignKey(Site, verbose_name=_("épicerie"), on_delete=models.PROTECT, related_name="tills")
    name = models.CharField(_("nom"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["site", "name"]
        verbose_name = _("caisse")
        verbose_name_plural = _("caisses")
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="till_unique_name_per_site")]

    def __str__(self) -> str:
        return f"{self.site} · {self.name}"


class CashSession(models.Model):
    """From opening to closing a till: the cash counted at both ends and what happened between."""

    till = models.ForeignKey(
        Till, verbose_name=_("caisse"), on_delete=models.PROTECT, related_name="sessions"
    )
    opened_at = models.DateTimeField(_("ouverte le"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ouverte par"), on_delete=models.PROTECT, related_name="+"
    )
    opening_count = models.JSONField(_("comptage à l'ouverture"), default=dict)
    opening_total = models.DecimalField(_("fond de caisse"), **MONEY)
    closed_at = models.DateTimeField(_("fermée le"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("fermée par"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    closing_count = models.JSONField(_("comptage à la fermeture"), null=True, blank=True)
    closing_total = models.DecimalField(_("espèces comptées"), **MONEY, null=True, blank=True)
    expected_cash = models.DecimalField(_("espèces attendues"), **MONEY, null=True, blank=True)
    difference = models.DecimalField(_("écart"), **MONEY, null=True, blank=True)
    difference_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("écart accepté par"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    closing_note = models.TextField(_("commentaire de clôture"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("session de caisse")
        verbose_name_plural = _("sessions de caisse")
        constraints = [
            # One open session per till, enforced by the database whatever the race.
            models.UniqueConstraint(
                fields=["till"], condition=Q(closed_at__isnull=True), name="cash_session_one_open_per_till"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.till} · {self.opened_at:%d/%m/%Y %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ReceiptSequence(models.Model):
    """The last receipt number given at a site. Incremented inside each sale's transaction, so
    a refused or rolled-back sale gives its number back: no gaps."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("numérotation des tickets")
        verbose_name_plural = _("numérotation des tickets")

    def __str__(self) -> str:
        return f"{self.site_id}: {self.last_number}"
