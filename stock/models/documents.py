"""The documents that move stock: donations and their attestations, purchases, waste,
transfers and stocktakes. Each movement they cause carries their type and id."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue import Category, Product
from .ledger import Location, Lot

QTY = {"max_digits": 12, "decimal_places": 3}
MONEY = {"max_digits": 10, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class Donation(models.Model):
    """Goods given by a partner, announced by the partner (or staff) and received by staff."""

    class Status(models.TextChoices):
        ANNOUNCED = "announced", _("Annoncé")
        RECEIVED = "received", _("Reçu")
        CANCELLED = "cancelled", _("Annulé")

    partner = models.ForeignKey(
        "grocery.PartnerOrganisation",
        verbose_name=_("donateur"),
        on_delete=models.PROTECT,
        related_name="donations",
    )
    site = models.ForeignKey(
        "grocery.Site", verbose_name=_("épicerie"), on_delete=models.PROTECT, related_name="donations"
    )
    origin = models.CharField(_("origine"), max_length=30, choices=Lot.Origin.choices)
    donated_on = models.DateField(_("date du don"), default=timezone.localdate)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.ANNOUNCED)
    note = models.TextField(_("remarque"), blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(_("reçu le"), null=True, blank=True)
    received_on = models.DateField(
        _("pris en charge le"), null=True, blank=True,
        help_text=_("Date de prise en charge des denrées : la date du don pour l'attestation."),
    )
    received_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("reçu par")
    )
    attestation = models.ForeignKey(
        "stock.Attestation", null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )

    class Meta:
        ordering = ["-donated_on", "-id"]
        verbose_name = _("don")
        verbose_name_plural = _("dons")
        indexes = [models.Index(fields=["partner", "status"]), models.Index(fields=["site", "status"])]

    def __str__(self) -> str:
        return f"Don n° {self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.ANNOUNCED


class DonationLine(models.Model):
    donation = models.ForeignKey(Donation, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("produit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=160, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("catégorie"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quantity = models.DecimalField(_("quantité annoncée"), **QTY)
    weight_kg = models.DecimalField(_("poids (kg)"), null=True, blank=True, **QTY)
    use_by = models.DateField(_("DLC"), null=True, blank=True)
    best_before = models.DateField(_("DDM"), null=True, blank=True)
    lot_number = models.CharField(_("numéro de lot"), max_length=60, blank=True)
    unit_cost = models.DecimalField(_("prix de revient unitaire"), null=True, blank=True, **MONEY)
    received_quantity = models.DecimalField(_("quantité comptée"), null=True, blank=True, **QTY)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("ligne de don")
        verbose_name_plural = _("lignes de don")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return str(self.product) if self.product_id else self.description


class AttestationCounter(models.Model):
    """The last attestation number issued in a year: locked to number without gaps."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compteur d'attestations")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Attestation(models.Model):
    """An attestation de don (reçu fiscal): numbered, never changed nor reused once issued.

    `content` keeps the goods, weights, values and valuation as issued, so the document reads the
    same even if the catalogue changes later.
    """

    class Form(models.TextChoices):
        COMPANY = "16216", _("Cerfa n° 16216 (entreprises, art. 238 bis du CGI)")
        INDIVIDUAL = "11580", _("Cerfa n° 11580 (particuliers, art. 200 du CGI)")

    year = models.PositiveIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("numéro d'ordre"))
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    partner = models.ForeignKey(
        "grocery.PartnerOrganisation",
        verbose_name=_("donateur"),
        on_delete=models.PROTECT,
        related_name="attestations",
    )
    form = models.CharField(_("formulaire"), max_length=10, choices=Form.choices)
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    issued_on = models.DateField(_("émise le"), default=timezone.localdate)
    issued_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    total_value = models.DecimalField(_("valeur totale"), **MONEY)
    total_weight_kg = models.DecimalField(_("poids total (kg)"), **QTY)
    content = models.JSONField(_("contenu"), default=dict)

    class Meta:
        ordering = ["-year", "-sequence"]
        verbose_name = _("attestation de don")
        verbose_name_plural = _("attestations de don")
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="stock_attestation_unique_number"),
        ]

    def __str__(self) -> str:
        return f"Attestation n° {self.number}"


class Purchase(models.Model):
    class Status(models.TextChoices):
        ORDERED = "ordered", _("Commandé")
        RECEIVED = "received", _("Reçu")

    supplier = models.CharField(_("fournisseur"), max_length=160)
    site = models.ForeignKey(
        "grocery.Site", verbose_name=_("épicerie"), on_delete=models.PROTECT, related_name="purchases"
    )
    ordered_on = models.DateField(_("date"), default=timezone.localdate)
    reference = models.CharField(_("référence facture"), max_length=60, blank=True)
    origin = models.CharField(
        _("financement"), max_length=30, choices=Lot.Origin.choices, default=Lot.Origin.PURCHASE
    )
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.ORDERED)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-ordered_on", "-id"]
        verbose_name = _("achat")
        verbose_name_plural = _("achats")

    def __str__(self) -> str:
        return f"Achat n° {self.pk} ({self.supplier})"


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("produit"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantité"), **QTY)
    unit_cost = models.DecimalField(_("coût unitaire"), **MONEY)
    use_by = models.DateField(_("DLC"), null=True, blank=True)
    best_before = models.DateField(_("DDM"), null=True, blank=True)
    lot_number = models.CharField(_("numéro de lot"), max_length=60, blank=True)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class Waste(models.Model):
    """Goods taken out of stock because they cannot be distributed."""

    class Reason(models.TextChoices):
        EXPIRED = "expired", _("Date dépassée")
        DAMAGED = "damaged", _("Abîmé / casse")
        RECALL = "recall", _("Rappel produit")
        COLD_CHAIN = "cold_chain", _("Rupture de la chaîne du froid")
        OTHER = "other", _("Autre")

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="wastes")
    site = models.ForeignKey("grocery.Site", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantité"), **QTY)
    reason = models.CharField(_("motif"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("précision"), max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("casse / perte")
        verbose_name_plural = _("casses et pertes")

    def __str__(self) -> str:
        return f"{self.get_reason_display()} : {self.quantity}"


class Transfer(models.Model):
    """Part or all of a lot moved to another location (of the same or another site).

    The goods arrive as a new lot that keeps the source's dates, origin and lot number
    (`Lot.document_*` points back at the transfer), so each lot stays at one location.
    """

    source = models.ForeignKey(
        Lot, verbose_name=_("lot d'origine"), on_delete=models.PROTECT, related_name="transfers_out"
    )
    destination = models.ForeignKey(
        Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_in"
    )
    to_location = models.ForeignKey(
        Location, verbose_name=_("vers"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantité"), **QTY)
    note = models.CharField(_("remarque"), max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("transfert")
        verbose_name_plural = _("transferts")

    def __str__(self) -> str:
        return f"Transfert n° {self.pk}"


class Stocktake(models.Model):
    """The count of one location: a count sheet, its differences, then adjustments once posted."""

    class Status(models.TextChoices):
        OPEN = "open", _("En cours")
        POSTED = "posted", _("Validé")
        CANCELLED = "cancelled", _("Annulé")

    location = models.ForeignKey(
        Location, verbose_name=_("emplacement"), on_delete=models.PROTECT, related_name="stocktakes"
    )
    site = models.ForeignKey("grocery.Site", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("remarque"), max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("inventaire")
        verbose_name_plural = _("inventaires")

    def __str__(self) -> str:
        return f"Inventaire n° {self.pk}"


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    expected_quantity = models.DecimalField(_("quantité attendue"), **QTY)
    counted_quantity = models.DecimalField(_("quantité comptée"), null=True, blank=True, **QTY)
    posted_difference = models.DecimalField(_("écart validé"), null=True, blank=True, **QTY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "lot"], name="stock_stocktake_line_unique_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id}: {self.counted_quantity}"

    @property
    def difference(self) -> Decimal | None:
        """Counted minus what the ledger holds now (what posting will adjust)."""
        if self.posted_difference is not None:
            return self.posted_difference
        if self.counted_quantity is None:
            return None
        return self.counted_quantity - self.lot.quantity_on_hand
