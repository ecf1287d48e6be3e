"""The rules a grocery may change, in one editable row (defaults from DOMAIN.md)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RavDivisor(models.TextChoices):
    PERSONS = "persons", _("par personne")
    CONSUMPTION_UNITS = "consumption_units", _("par unité de consommation (échelle OCDE)")


class BeneficiarySettings(models.Model):
    """Singleton (pk=1): entitlement periods, allowance scale, reste-à-vivre rule, privacy."""

    participation_rate = models.DecimalField(
        _("taux de participation par défaut"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.200"),
        validators=[MinValueValidator(Decimal("0.100")), MaxValueValidator(Decimal("0.300"))],
        help_text=_("Part du prix de marché payée par le foyer (charte ANDES : 10 % à 30 %)."),
    )
    period_months = models.PositiveSmallIntegerField(
        _("durée d'un droit (mois)"), default=3, validators=[MinValueValidator(1)]
    )
    max_renewals = models.PositiveSmallIntegerField(_("nombre de renouvellements"), default=1)
    waiting_gap_months = models.PositiveSmallIntegerField(
        _("délai de carence avant une nouvelle entrée (mois)"), default=3
    )
    max_total_months = models.PositiveSmallIntegerField(
        _("durée totale maximale (mois)"), default=24, validators=[MinValueValidator(1)]
    )
    allowance_basis = models.CharField(
        _("base du montant mensuel"),
        max_length=10,
        choices=[("paid", _("montant payé par le foyer")), ("market", _("valeur marchande"))],
        default="paid",
    )
    allowance_one_person = models.DecimalField(
        _("montant mensuel : une personne"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    allowance_two_persons = models.DecimalField(
        _("montant mensuel : deux personnes"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("30.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    allowance_per_child = models.DecimalField(
        _("montant mensuel : par enfant"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    allowance_cap = models.DecimalField(
        _("montant mensuel : plafond"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    child_age_limit = models.PositiveSmallIntegerField(_("âge limite d'un enfant (barème)"), default=18)
    carry_over = models.BooleanField(_("report du solde non utilisé"), default=False)
    carry_over_cap = models.DecimalField(
        _("plafond du report"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    rav_divisor = models.CharField(
        _("diviseur du reste à vivre"),
        max_length=20,
        choices=RavDivisor.choices,
        default=RavDivisor.PERSONS,
    )
    rav_threshold = models.DecimalField(
        _("seuil du reste à vivre (€/jour)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("8.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Guide la commission ; ne décide pas seule."),
    )
    anonymise_after_months = models.PositiveSmallIntegerField(
        _("anonymisation après la fin du dernier droit (mois)"),
        default=24,
        validators=[MinValueValidator(1)],
    )
    consent_text_version = models.CharField(
        _("version du texte de consentement"), max_length=20, default="2026-01"
    )
    consent_text = models.TextField(
        _("texte de consentement"),
        default=(
            "J'accepte que l'épicerie solidaire et le CCAS enregistrent les informations de mon "
            "foyer pour étudier ma demande et suivre mon accompagnement. Je peux y accéder, les "
            "faire corriger ou supprimer en m'adressant au CCAS."
        ),
    )

    class Meta:
        verbose_name = _("réglages bénéficiaires")
        verbose_name_plural = _("réglages bénéficiaires")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(participation_rate__gte=0) & models.Q(participation_rate__lte=1),
                name="beneficiarysettings_rate_0_1",
            ),
            models.CheckConstraint(condition=models.Q(pk=1), name="beneficiarysettings_singleton"),
        ]

    def __str__(self) -> str:
        return str(_("Réglages bénéficiaires"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def get_solo(cls) -> "BeneficiarySettings":
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings
