"""The membership card (carte d'adhérent): a number with a Luhn check digit, one active per
household. Reissuing (lost card) deactivates the old one and points it at its replacement."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Card(models.Model):
    household = models.ForeignKey(
        "beneficiaries.Household",
        verbose_name=_("foyer"),
        on_delete=models.PROTECT,
        related_name="cards",
    )
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    issued_at = models.DateTimeField(_("émise le"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_by = models.OneToOneField(
        "self",
        verbose_name=_("remplacée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
    )
    deactivated_at = models.DateTimeField(_("désactivée le"), null=True, blank=True)
    deactivation_reason = models.CharField(_("motif de désactivation"), max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("carte")
        verbose_name_plural = _("cartes")
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=models.Q(is_active=True), name="card_one_active_per_household"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def formatted_number(self) -> str:
        """Grouped for reading aloud: 8123 4567 89."""
        return " ".join(self.number[i : i + 4] for i in range(0, len(self.number), 4))
