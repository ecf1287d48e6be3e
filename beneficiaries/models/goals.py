"""Goal contracts (contrat d'engagement): what the savings go to, progress, workshops."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Goal(models.Model):
    class Kind(models.TextChoices):
        DEBT = "debt", _("Remboursement d'une dette")
        ARREAR = "arrear", _("Apurement d'un impayé (énergie, loyer)")
        PROJECT = "project", _("Épargne pour un projet")
        OTHER = "other", _("Autre")

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("En cours")
        REACHED = "reached", _("Atteint")
        PARTLY = "partly", _("Partiellement atteint")
        ABANDONED = "abandoned", _("Abandonné")

    entitlement = models.ForeignKey(
        "beneficiaries.Entitlement",
        verbose_name=_("droit d'accès"),
        on_delete=models.PROTECT,
        related_name="goals",
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("libellé ou créancier"), max_length=160)
    target_amount = models.DecimalField(
        _("montant visé"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    target_date = models.DateField(_("échéance"))
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    outcome = models.TextField(_("bilan"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["entitlement_id", "id"]
        verbose_name = _("objectif")
        verbose_name_plural = _("objectifs")
        constraints = [
            models.CheckConstraint(condition=models.Q(target_amount__gt=0), name="goal_target_positive")
        ]

    def __str__(self) -> str:
        return self.label


class GoalProgress(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="progress_entries")
    on_date = models.DateField(_("date"))
    amount = models.DecimalField(
        _("montant"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    note = models.CharField(_("commentaire"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["goal_id", "on_date", "id"]
        verbose_name = _("avancée")
        verbose_name_plural = _("avancées")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="goalprogress_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.on_date} {self.amount}"


class Workshop(models.Model):
    class Theme(models.TextChoices):
        BUDGET = "budget", _("Budget")
        ENERGY = "energy", _("Économies d'énergie")
        COOKING = "cooking", _("Cuisine")
        RIGHTS = "rights", _("Accès aux droits")
        HEALTH = "health", _("Santé")
        OTHER = "other", _("Autre")

    title = models.CharField(_("titre"), max_length=160)
    starts_at = models.DateTimeField(_("date et heure"))
    site = models.ForeignKey(
        "grocery.Site", verbose_name=_("épicerie"), on_delete=models.PROTECT, related_name="workshops"
    )
    theme = models.CharField(_("thème"), max_length=10, choices=Theme.choices)
    capacity = models.PositiveSmallIntegerField(_("places"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "id"]
        verbose_name = _("atelier")
        verbose_name_plural = _("ateliers")

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%d/%m/%Y})"


class Attendance(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="attendances")
    household = models.ForeignKey(
        "beneficiaries.Household", on_delete=models.CASCADE, related_name="attendances"
    )
    entitlement = models.ForeignKey(
        "beneficiaries.Entitlement",
        verbose_name=_("contrat"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attendances",
    )
    attended = models.BooleanField(_("présent"), default=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["workshop_id", "id"]
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        constraints = [
            models.UniqueConstraint(fields=["workshop", "household"], name="attendance_once_per_workshop")
        ]

    def __str__(self) -> str:
        return f"{self.workshop_id} {self.household_id}"
