"""A referral (orientation) by a prescriber, decided by the commission."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Referral(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Transmise à la commission")
        APPROVED = "approved", _("Accordée")
        REFUSED = "refused", _("Refusée")
        WITHDRAWN = "withdrawn", _("Retirée")

    #: status -> statuses reachable from it (through the services only).
    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED, Status.WITHDRAWN},
        Status.SUBMITTED: {Status.APPROVED, Status.REFUSED, Status.WITHDRAWN},
        Status.APPROVED: set(),
        Status.REFUSED: set(),
        Status.WITHDRAWN: set(),
    }

    household = models.ForeignKey(
        "beneficiaries.Household", verbose_name=_("foyer"), on_delete=models.PROTECT, related_name="referrals"
    )
    partner = models.ForeignKey(
        "grocery.PartnerOrganisation",
        verbose_name=_("organisation prescriptrice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prescripteur"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="referrals_created",
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    budget = models.ForeignKey(
        "beneficiaries.BudgetVersion",
        verbose_name=_("budget (instantané)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    situation = models.TextField(_("situation"))
    reason = models.TextField(_("motif de la demande"))
    proposed_goal = models.TextField(_("projet proposé"), blank=True)
    requested_months = models.PositiveSmallIntegerField(
        _("durée demandée (mois)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    submitted_at = models.DateTimeField(_("transmise le"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_reason = models.TextField(_("motif de la décision"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("orientation")
        verbose_name_plural = _("orientations")
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"Orientation #{self.pk} ({self.get_status_display()})"
