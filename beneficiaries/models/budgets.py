"""Budgets (ressources et charges) are versioned: each change makes a new version, so a referral
keeps the snapshot the commission decided on. Reading one is logged (BudgetAccess)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IncomeCategory(models.TextChoices):
    WAGES = "wages", _("Salaires")
    UNEMPLOYMENT = "unemployment", _("Allocation chômage")
    RSA = "rsa", _("RSA")
    ACTIVITY_BONUS = "activity_bonus", _("Prime d'activité")
    HOUSING_BENEFIT = "housing_benefit", _("APL / AL")
    FAMILY_ALLOWANCE = "family_allowance", _("Allocations familiales")
    AAH = "aah", _("AAH")
    PENSION = "pension", _("Pensions et retraites")
    ALIMONY_RECEIVED = "alimony_received", _("Pension alimentaire reçue")
    OTHER = "other", _("Autres ressources")


class ExpenseCategory(models.TextChoices):
    HOUSING = "housing", _("Loyer ou prêt immobilier")
    ENERGY = "energy", _("Énergie")
    WATER = "water", _("Eau")
    INSURANCE = "insurance", _("Assurances")
    TAXES = "taxes", _("Impôts et taxes")
    PHONE = "phone", _("Téléphone / internet")
    TRANSPORT = "transport", _("Transport")
    CHILDCARE = "childcare", _("Garde d'enfants")
    ALIMONY_PAID = "alimony_paid", _("Pension alimentaire versée")
    DEBT_PLAN = "debt_plan", _("Remboursement de dettes (plan de surendettement)")
    OTHER = "other", _("Autres charges fixes")


class BudgetVersion(models.Model):
    household = models.ForeignKey(
        "beneficiaries.Household", verbose_name=_("foyer"), on_delete=models.CASCADE, related_name="budgets"
    )
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("enregistré le"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("commentaire"), blank=True)
    total_income = models.DecimalField(
        _("total des ressources"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    total_expenses = models.DecimalField(
        _("total des charges"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        ordering = ["household_id", "-number"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(fields=["household", "number"], name="budgetversion_household_number")
        ]

    def __str__(self) -> str:
        return f"{self.household_id} v{self.number}"


class BudgetLine(models.Model):
    class Kind(models.TextChoices):
        INCOME = "income", _("Ressource")
        EXPENSE = "expense", _("Charge")

    budget = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    category = models.CharField(_("catégorie"), max_length=20)
    label = models.CharField(_("libellé"), max_length=120, blank=True)
    monthly_amount = models.DecimalField(
        _("montant mensuel"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["budget_id", "kind", "id"]
        verbose_name = _("ligne de budget")
        verbose_name_plural = _("lignes de budget")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_amount__gte=0), name="budgetline_amount_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.monthly_amount}"

    def get_category_display(self) -> str:
        choices = IncomeCategory if self.kind == self.Kind.INCOME else ExpenseCategory
        try:
            return str(choices(self.category).label)
        except ValueError:
            return self.category


class Debt(models.Model):
    """A debt the household declared (outstanding amount). Its monthly repayment, if any, is an
    expense line of the same budget; the outstanding amount is not part of the reste à vivre."""

    budget = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="debts")
    creditor = models.CharField(_("créancier"), max_length=120)
    outstanding = models.DecimalField(
        _("montant restant dû"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    monthly_repayment = models.DecimalField(
        _("remboursement mensuel"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    in_repayment_plan = models.BooleanField(_("plan de surendettement"), default=False)

    class Meta:
        ordering = ["budget_id", "id"]
        verbose_name = _("dette")
        verbose_name_plural = _("dettes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outstanding__gte=0) & models.Q(monthly_repayment__gte=0),
                name="debt_amounts_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.creditor


class BudgetAccess(models.Model):
    """Who looked at which household's budget, when, from where (page or API). Never edited."""

    at = models.DateTimeField(_("le"), default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    household = models.ForeignKey(
        "beneficiaries.Household", on_delete=models.CASCADE, related_name="budget_accesses"
    )
    context = models.CharField(_("depuis"), max_length=80)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("consultation de budget")
        verbose_name_plural = _("journal des consultations de budget")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} → {self.household_id}"
