"""Monthly statements: each household's month closed into figures (allowance, paid, market
value received, savings, visits, per-product limits, overrun, carry-over), with the history of
corrections that late sales (offline replays after the close) brought to a closed month."""
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")


def _money(label):
    return models.DecimalField(label, max_digits=10, decimal_places=2, default=ZERO)


class MonthClosing(models.Model):
    """That a month has been closed: when first, when last recomputed, with what result."""

    month = models.DateField(_("mois"), unique=True, help_text=_("Premier jour du mois."))
    first_closed_at = models.DateTimeField(_("première clôture"))
    last_closed_at = models.DateTimeField(_("dernier recalcul"))
    runs = models.PositiveIntegerField(_("nombre de calculs"), default=1)
    households = models.PositiveIntegerField(_("foyers"), default=0)
    corrections = models.PositiveIntegerField(_("corrections après clôture"), default=0)
    job_run = models.ForeignKey("grocery.JobRun", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["-month"]
        verbose_name = _("clôture mensuelle")
        verbose_name_plural = _("clôtures mensuelles")

    def __str__(self) -> str:
        return f"{self.month:%m/%Y}"


class MonthlyStatement(models.Model):
    """One household's month, computed from its sales by the monthly close (never by hand)."""

    household = models.ForeignKey(
        "beneficiaries.Household", verbose_name=_("foyer"), on_delete=models.PROTECT,
        related_name="monthly_statements",
    )
    month = models.DateField(_("mois"), help_text=_("Premier jour du mois."))
    entitlement = models.ForeignKey(
        "beneficiaries.Entitlement", verbose_name=_("droit"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    allowance_basis = models.CharField(
        _("base du montant autorisé"), max_length=10,
        help_text=_("« paid » : ce que le foyer paie ; « market » : valeur marchande."),
    )
    allowance = _money(_("montant mensuel autorisé"))
    carried_in = _money(_("report du mois précédent"))
    amount_paid = _money(_("montant payé"))
    market_value = _money(_("valeur marchande reçue"))
    savings = _money(_("économie réalisée"))
    spent = _money(_("consommé (selon la base)"))
    overrun = _money(_("dépassement"))
    carry_over = _money(_("report sur le mois suivant"))
    visits = models.PositiveIntegerField(_("passages"), default=0)
    last_visit_at = models.DateTimeField(_("dernier passage"), null=True, blank=True)
    no_visit = models.BooleanField(_("aucun passage (non-recours)"), default=False, db_index=True)
    limit_usage = models.JSONField(_("limites par produit"), default=list, blank=True)
    revision = models.PositiveIntegerField(_("révision"), default=1)
    closed_at = models.DateTimeField(_("clôturé le"))
    updated_at = models.DateTimeField(_("recalculé le"))

    #: The figures a recomputation compares; a difference is a correction.
    FIGURES = ("entitlement_id", "allowance_basis", "allowance", "carried_in", "amount_paid",
               "market_value", "savings", "spent", "overrun", "carry_over", "visits",
               "last_visit_at", "no_visit", "limit_usage")

    class Meta:
        ordering = ["-month", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["household", "month"], name="statement_one_per_household_month")
        ]
        indexes = [models.Index(fields=["month", "overrun"])]
        verbose_name = _("bilan mensuel")
        verbose_name_plural = _("bilans mensuels")

    def __str__(self) -> str:
        return f"{self.household_id} {self.month:%m/%Y}"

    @property
    def remaining(self) -> Decimal:
        return max(self.allowance + self.carried_in - self.spent, ZERO)


class StatementCorrection(models.Model):
    """A closed statement changed on a later run (late sales): what changed, from what to what."""

    statement = models.ForeignKey(MonthlyStatement, on_delete=models.CASCADE, related_name="corrections")
    revision = models.PositiveIntegerField(_("révision"))
    at = models.DateTimeField(_("le"))
    changes = models.JSONField(_("changements"), help_text=_("{champ: [avant, après]}"))
    job_run = models.ForeignKey("grocery.JobRun", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["statement_id", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "revision"], name="statement_correction_once")
        ]
        verbose_name = _("correction de bilan")
        verbose_name_plural = _("corrections de bilans")

    def __str__(self) -> str:
        return f"{self.statement} r{self.revision}"
