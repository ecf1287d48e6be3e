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
    "500.00",
    "200.00",
    "100.00",
    "50.00",
    "20.00",
    "10.00",
    "5.00",
    "2.00",
    "1.00",
    "0.50",
    "0.20",
    "0.10",
    "0.05",
    "0.02",
    "0.01",
)


class CounterSettings(models.Model):
    """Counter rules a grocery may change (one row, edited in the admin)."""

    cash_difference_threshold = models.DecimalField(
        _("écart de caisse toléré (€)"),
        **MONEY,
        default=Decimal("5.00"),
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
        settings.AUTH_USER_MODEL,
        verbose_name=_("fermée par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closing_count = models.JSONField(_("comptage à la fermeture"), null=True, blank=True)
    closing_total = models.DecimalField(_("espèces comptées"), **MONEY, null=True, blank=True)
    expected_cash = models.DecimalField(_("espèces attendues"), **MONEY, null=True, blank=True)
    difference = models.DecimalField(_("écart"), **MONEY, null=True, blank=True)
    difference_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("écart accepté par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
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


#: Lot origins as stock.Lot.Origin spells them (kept here so models load in any order).
ORIGIN_CHOICES = [
    ("food_bank", _("Banque Alimentaire")),
    ("fead", _("FEAD / FSE+")),
    ("pnaa", _("Crédits PNAA")),
    ("store_pickup", _("Ramasse en magasin")),
    ("company_donation", _("Don d'entreprise")),
    ("individual_donation", _("Don de particulier")),
    ("purchase", _("Achat")),
]


class PricingRule(models.Model):
    """A participation rate for a category or for goods of an origin, at one site or all.

    A *fixed* rule replaces the household's rate; a *ceiling* rule caps it. FEAD goods and
    given-free categories are always free whatever the rules (see grocery.counter.pricing).
    """

    class Kind(models.TextChoices):
        FIXED = "fixed", _("taux fixé")
        CEILING = "ceiling", _("taux maximum")

    name = models.CharField(_("nom"), max_length=120)
    site = models.ForeignKey(
        Site,
        verbose_name=_("épicerie"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Vide : toutes les épiceries."),
    )
    category = models.ForeignKey(
        "stock.Category",
        verbose_name=_("catégorie"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    origin = models.CharField(_("origine des lots"), max_length=30, choices=ORIGIN_CHOICES, blank=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.FIXED)
    rate = models.DecimalField(_("taux de participation"), **RATE)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("règle de prix")
        verbose_name_plural = _("règles de prix")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=False) | ~Q(origin=""), name="pricing_rule_has_a_target"
            ),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=1), name="pricing_rule_rate_0_1"),
        ]

    def __str__(self) -> str:
        return self.name


class Limit(models.Model):
    """How much of a product or category a household may take per visit or per month, for one
    person, plus `per_extra_person` for each other person, capped by `max_quantity`."""

    class Period(models.TextChoices):
        VISIT = "visit", _("par passage")
        MONTH = "month", _("par mois")

    name = models.CharField(_("nom"), max_length=120)
    site = models.ForeignKey(
        Site,
        verbose_name=_("épicerie"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Vide : toutes les épiceries."),
    )
    product = models.ForeignKey(
        "stock.Product",
        verbose_name=_("produit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.ForeignKey(
        "stock.Category",
        verbose_name=_("catégorie"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    period = models.CharField(_("période"), max_length=10, choices=Period.choices, default=Period.MONTH)
    quantity = models.DecimalField(
        _("quantité pour une personne"), **QUANTITY, validators=[MinValueValidator(Decimal("0"))]
    )
    per_extra_person = models.DecimalField(
        _("en plus par personne supplémentaire"),
        **QUANTITY,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    max_quantity = models.DecimalField(
        _("plafond"), **QUANTITY, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("limite")
        verbose_name_plural = _("limites")
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(category__isnull=True))
                | (Q(product__isnull=True) & Q(category__isnull=False)),
                name="limit_product_xor_category",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="limit_quantity_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Sale(models.Model):
    """One checkout of one household, recorded in one transaction. The primary key is the UUID
    made by the till, so a resubmission cannot record it twice."""

    id = models.UUIDField(primary_key=True, editable=False)
    site = models.ForeignKey(Site, verbose_name=_("épicerie"), on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        CashSession, verbose_name=_("session de caisse"), on_delete=models.PROTECT, related_name="sales"
    )
    household = models.ForeignKey(
        "beneficiaries.Household", verbose_name=_("foyer"), on_delete=models.PROTECT, related_name="sales"
    )
    card_number = models.CharField(_("carte"), max_length=40, blank=True)
    entitlement = models.ForeignKey(
        "beneficiaries.Entitlement",
        verbose_name=_("droit d'accès"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    allowance_month = models.ForeignKey(
        "beneficiaries.AllowanceMonth", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allowance_basis = models.CharField(_("base du montant autorisé"), max_length=10, blank=True)
    sold_at = models.DateTimeField(_("vendu le"))
    recorded_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("caissier"), on_delete=models.PROTECT, related_name="+"
    )
    receipt_number = models.PositiveIntegerField(_("numéro de ticket"), null=True, blank=True)
    fingerprint = models.CharField(max_length=64)
    market_value = models.DecimalField(_("valeur marchande"), **MONEY, default=Decimal("0"))
    paid = models.DecimalField(_("payé"), **MONEY, default=Decimal("0"))
    savings = models.DecimalField(_("économie"), **MONEY, default=Decimal("0"))
    change_due = models.DecimalField(_("monnaie rendue"), **MONEY, default=Decimal("0"))
    allowance_used = models.DecimalField(_("décompté du montant autorisé"), **MONEY, default=Decimal("0"))
    override_reason = models.TextField(_("motif du dépassement accordé"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dépassement accordé par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    overrides = models.JSONField(_("limites dépassées"), default=list, blank=True)
    response = models.JSONField(default=dict, blank=True)  # the answer given, replayed as is
    print_count = models.PositiveIntegerField(_("impressions"), default=0)

    class Meta:
        ordering = ["-sold_at", "-receipt_number"]
        verbose_name = _("vente")
        verbose_name_plural = _("ventes")
        constraints = [
            models.UniqueConstraint(fields=["site", "receipt_number"], name="sale_receipt_number_per_site"),
        ]
        indexes = [models.Index(fields=["household", "sold_at"], name="sale_household_sold_at")]

    def __str__(self) -> str:
        return f"Ticket {self.receipt_number or '—'} ({self.site_id})"


class SaleLine(models.Model):
    """A product sold: the market price, the rate and the price paid as they were at the sale."""

    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey("stock.Product", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("stock.Category", null=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=10)
    quantity = models.DecimalField(**QUANTITY)
    market_price = models.DecimalField(**MONEY)
    rate = models.DecimalField(max_digits=4, decimal_places=3)
    market_value = models.DecimalField(**MONEY)
    price_paid = models.DecimalField(**MONEY)
    saving = models.DecimalField(**MONEY)
    is_free = models.BooleanField(default=False)
    past_best_before = models.BooleanField(default=False)
    refunded_quantity = models.DecimalField(**QUANTITY, default=Decimal("0"))

    class Meta:
        ordering = ["sale", "position"]
        verbose_name = _("ligne de vente")
        verbose_name_plural = _("lignes de vente")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sale_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(refunded_quantity__gte=0) & Q(refunded_quantity__lte=models.F("quantity")),
                name="sale_line_refund_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class SaleLineLot(models.Model):
    """Which lot a line's goods came from: traceability, and the answer to a product recall."""

    line = models.ForeignKey(SaleLine, on_delete=models.CASCADE, related_name="lots")
    lot = models.ForeignKey("stock.Lot", on_delete=models.PROTECT, related_name="sale_allocations")
    quantity = models.DecimalField(**QUANTITY)
    rate = models.DecimalField(max_digits=4, decimal_places=3)
    past_best_before = models.BooleanField(default=False)
    refunded_quantity = models.DecimalField(**QUANTITY, default=Decimal("0"))

    class Meta:
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return f"lot {self.lot_id} × {self.quantity}"


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", _("espèces")
        CARD = "card", _("carte bancaire")
        CHEQUE = "cheque", _("chèque")

    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="payments")
    method = models.CharField(_("moyen de paiement"), max_length=10, choices=Method.choices)
    amount = models.DecimalField(_("montant"), **MONEY)

    class Meta:
        ordering = ["sale", "id"]
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} €"


class Refund(models.Model):
    """Goods given back (some or all lines of a sale): money back, goods back in stock or to
    waste, allowance restored."""

    class Destination(models.TextChoices):
        STOCK = "stock", _("remis en stock")
        WASTE = "waste", _("mis au rebut")

    sale = models.ForeignKey(Sale, verbose_name=_("vente"), on_delete=models.PROTECT, related_name="refunds")
    session = models.ForeignKey(
        CashSession,
        verbose_name=_("session de caisse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    at = models.DateTimeField(_("le"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("par"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("motif"))
    destination = models.CharField(_("marchandise"), max_length=10, choices=Destination.choices)
    method = models.CharField(
        _("remboursé en"), max_length=10, choices=Payment.Method.choices, default=Payment.Method.CASH
    )
    amount = models.DecimalField(_("montant remboursé"), **MONEY)
    market_value = models.DecimalField(_("valeur marchande"), **MONEY)
    allowance_restored = models.DecimalField(_("montant autorisé rendu"), **MONEY)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("remboursement")
        verbose_name_plural = _("remboursements")

    def __str__(self) -> str:
        return f"Remboursement {self.amount} € ({self.sale_id})"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    sale_line = models.ForeignKey(SaleLine, on_delete=models.PROTECT, related_name="refund_lines")
    quantity = models.DecimalField(**QUANTITY)
    amount = models.DecimalField(**MONEY)
    market_value = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["refund", "id"]

    def __str__(self) -> str:
        return f"{self.sale_line_id} × {self.quantity}"
