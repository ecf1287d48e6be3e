"""One row per household and month: what the entitlement allows and what was spent. The
counter locks this row during a sale (see `beneficiaries.services.allowance_month_lock`), so two
tills cannot spend the same euros."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from .entitlements import AllowanceBasis

ZERO = Decimal("0.00")


class AllowanceMonth(models.Model):
    household = models.ForeignKey(
        "beneficiaries.Household",
        verbose_name=_("foyer"),
        on_delete=models.PROTECT,
        related_name="allowance_months",
    )
    month = models.DateField(_("mois (1er jour)"))
    entitlement = models.ForeignKey(
        "beneficiaries.Entitlement",
        verbose_name=_("droit d'accès"),
        on_delete=models.PROTECT,
        related_name="allowance_months",
    )
    basis = models.CharField(
        _("base du montant"), max_length=10, choices=AllowanceBasis.choices, default=AllowanceBasis.PAID
    )
    allowance = models.DecimalField(_("montant autorisé"), max_digits=10, decimal_places=2)
    carried_over = models.DecimalField(_("report"), max_digits=10, decimal_places=2, default=ZERO)
    spent_paid = models.DecimalField(_("payé par le foyer"), max_digits=10, decimal_places=2, default=ZERO)
    spent_market = models.DecimalField(
        _("valeur marchande reçue"), max_digits=10, decimal_places=2, default=ZERO
    )
    visits = models.PositiveIntegerField(_("passages"), default=0)
    last_visit_at = models.DateTimeField(_("dernier passage"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "household_id"]
        verbose_name = _("mois d'allocation")
        verbose_name_plural = _("mois d'allocation")
        constraints = [
            models.UniqueConstraint(fields=["household", "month"], name="allowancemonth_household_month"),
            models.CheckConstraint(
                condition=models.Q(allowance__gte=0), name="allowancemonth_allowance_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(carried_over__gte=0), name="allowancemonth_carry_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.month:%m/%Y}"

    @property
    def spent(self) -> Decimal:
        """What counts against the allowance, by the basis it is expressed in."""
        return self.spent_market if self.basis == AllowanceBasis.MARKET else self.spent_paid

    @property
    def savings(self) -> Decimal:
        return self.spent_market - self.spent_paid

    @property
    def remaining(self) -> Decimal:
        return self.allowance + self.carried_over - self.spent
