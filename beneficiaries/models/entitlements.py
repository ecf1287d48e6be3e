"""The entitlement (droit d'accès): where, when and how much a household may shop.

At most one entitlement per household may be in force (active or suspended) on any date. The
database enforces it, because two staff members approving at once must not both win:

- on PostgreSQL, an exclusion constraint `entitlement_no_overlap` (btree_gist) forbids two
  active/suspended rows of one household whose [start, end] date ranges overlap;
- on SQLite, BEFORE INSERT/UPDATE triggers refuse the same overlap (SQLite has no exclusion
  constraints, and a partial unique index on the status alone would forbid a renewal, which is
  a second active row for the following period).

Both are installed by migration 0002 (see `beneficiaries.dbconstraints`); the services check the
same rule first to give a clear error, and turn the database's refusal into that same error
under a race. An entitlement ended early has its end date brought forward, so it no longer
overlaps the next one.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AllowanceBasis(models.TextChoices):
    PAID = "paid", _("montant payé par le foyer")
    MARKET = "market", _("valeur marchande")


class Entitlement(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Actif")
        SUSPENDED = "suspended", _("Suspendu")
        ENDED = "ended", _("Terminé avant terme")
        EXPIRED = "expired", _("Échu")

    #: Statuses that occupy the household's calendar (the no-overlap rule applies to them).
    IN_FORCE = (Status.ACTIVE, Status.SUSPENDED)

    household = models.ForeignKey(
        "beneficiaries.Household",
        verbose_name=_("foyer"),
        on_delete=models.PROTECT,
        related_name="entitlements",
    )
    sites = models.ManyToManyField("grocery.Site", verbose_name=_("épiceries"), related_name="entitlements")
    start = models.DateField(_("début"))
    end = models.DateField(_("fin"))
    monthly_allowance = models.DecimalField(
        _("montant mensuel autorisé"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    allowance_basis = models.CharField(
        _("base du montant"), max_length=10, choices=AllowanceBasis.choices, default=AllowanceBasis.PAID
    )
    participation_rate = models.DecimalField(
        _("taux de participation"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    referral = models.ForeignKey(
        "beneficiaries.Referral",
        verbose_name=_("orientation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entitlements",
    )
    renewal_of = models.OneToOneField(
        "self",
        verbose_name=_("renouvellement de"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal",
    )
    renewal_number = models.PositiveSmallIntegerField(_("numéro de renouvellement"), default=0)
    override_reason = models.TextField(_("motif de dérogation"), blank=True)
    status_reason = models.TextField(_("motif du dernier changement de statut"), blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("droit d'accès")
        verbose_name_plural = _("droits d'accès")
        indexes = [models.Index(fields=["household", "status", "start", "end"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="entitlement_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_allowance__gte=0), name="entitlement_allowance_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(participation_rate__gte=0) & models.Q(participation_rate__lte=1),
                name="entitlement_rate_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y} ({self.get_status_display()})"

    def covers(self, on_date) -> bool:
        return self.start <= on_date <= self.end
