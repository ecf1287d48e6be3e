"""Stock rules a grocery may change in the admin (defaults from DOMAIN.md)."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class StockSettings(models.Model):
    """The single row of stock settings (pk=1)."""

    dlc_warning_days = models.PositiveIntegerField(
        _("alerte DLC (jours avant)"),
        default=3,
        help_text=_("Lots dont la DLC arrive dans ce nombre de jours."),
    )
    ddm_tolerance_days = models.PositiveIntegerField(
        _("tolérance après une DDM jour-mois (jours)"), default=90
    )
    ddm_month_tolerance_days = models.PositiveIntegerField(
        _("tolérance après une DDM mois-année (jours)"), default=180
    )
    chilled_max_celsius = models.DecimalField(
        _("température maximale en froid positif (°C)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("4.0"),
    )
    frozen_max_celsius = models.DecimalField(
        _("température maximale en froid négatif (°C)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("-18.0"),
    )
    pickup_min_hours_before_dlc = models.PositiveIntegerField(
        _("ramasse : heures minimales avant la DLC"), default=48
    )
    near_dlc_valuation_days = models.PositiveIntegerField(
        _("valorisation réduite dans les derniers jours avant la DLC"), default=3
    )
    near_dlc_valuation_rate = models.DecimalField(
        _("taux de valorisation près de la DLC"), max_digits=4, decimal_places=3, default=Decimal("0.500")
    )
    # Who signs the attestations de don (the association or CCAS running the grocery).
    issuer_name = models.CharField(
        _("organisme bénéficiaire des dons"), max_length=160, default="Épicerie sociale et solidaire"
    )
    issuer_address = models.TextField(_("adresse de l'organisme"), blank=True)
    issuer_identifier = models.CharField(_("SIREN / RNA de l'organisme"), max_length=30, blank=True)
    issuer_purpose = models.CharField(
        _("objet de l'organisme"),
        max_length=200,
        default="Aide alimentaire aux personnes en difficulté (organisme d'intérêt général)",
    )
    issuer_signatory = models.CharField(_("signataire (nom et qualité)"), max_length=160, blank=True)

    class Meta:
        verbose_name = _("réglages du stock")
        verbose_name_plural = _("réglages du stock")

    def __str__(self) -> str:
        return str(_("Réglages du stock"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def get_solo(cls) -> "StockSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
