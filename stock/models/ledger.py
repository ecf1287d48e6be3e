"""Where goods are (locations, lots) and the immutable ledger of every quantity change."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue import Product


class Location(models.Model):
    """A storage place of a site: reserve, shop floor, fridge, freezer."""

    class Kind(models.TextChoices):
        RESERVE = "reserve", _("Réserve")
        SHOP_FLOOR = "shop_floor", _("Rayon")
        FRIDGE = "fridge", _("Réfrigérateur / chambre froide")
        FREEZER = "freezer", _("Congélateur")

    site = models.ForeignKey(
        "grocery.Site", verbose_name=_("épicerie"), on_delete=models.PROTECT, related_name="locations"
    )
    name = models.CharField(_("nom"), max_length=80)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.RESERVE)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["site__name", "name"]
        verbose_name = _("emplacement")
        verbose_name_plural = _("emplacements")
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="stock_location_unique_name_per_site")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cold(self) -> bool:
        return self.kind in (self.Kind.FRIDGE, self.Kind.FREEZER)


class TemperatureReading(models.Model):
    """One reading of a cold location's thermometer (GBPH aide alimentaire)."""

    location = models.ForeignKey(
        Location, verbose_name=_("emplacement"), on_delete=models.PROTECT, related_name="temperatures"
    )
    at = models.DateTimeField(_("relevé le"), default=timezone.now, db_index=True)
    celsius = models.DecimalField(_("température (°C)"), max_digits=4, decimal_places=1)
    limit_celsius = models.DecimalField(_("limite (°C)"), max_digits=4, decimal_places=1)
    is_alert = models.BooleanField(_("au-dessus de la limite"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("remarque / action corrective"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("relevé de température")
        verbose_name_plural = _("relevés de température")

    def __str__(self) -> str:
        return f"{self.celsius} °C"


class Lot(models.Model):
    """Goods of one product received together, with their dates and their origin.

    `quantity_on_hand` is a cache of the sum of the lot's movements, updated in the same
    transaction as each movement (see `stock.services.movements_record`); the database refuses
    a negative value, and `manage.py check_ledger` rebuilds it from the ledger.
    """

    class Origin(models.TextChoices):
        FOOD_BANK = "food_bank", _("Banque Alimentaire")
        FEAD = "fead", _("FEAD / FSE+")
        PNAA = "pnaa", _("Crédits nationaux (PNAA / CNES)")
        STORE_PICKUP = "store_pickup", _("Ramasse en magasin")
        COMPANY_DONATION = "company_donation", _("Don d'entreprise")
        INDIVIDUAL_DONATION = "individual_donation", _("Don de particulier / collecte")
        PURCHASE = "purchase", _("Achat")

    product = models.ForeignKey(
        Product, verbose_name=_("produit"), on_delete=models.PROTECT, related_name="lots"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("emplacement"), on_delete=models.PROTECT, related_name="lots"
    )
    site = models.ForeignKey(
        "grocery.Site", verbose_name=_("épicerie"), on_delete=models.PROTECT, related_name="lots"
    )
    origin = models.CharField(_("origine"), max_length=30, choices=Origin.choices)
    partner = models.ForeignKey(
        "grocery.PartnerOrganisation",
        verbose_name=_("donateur / fournisseur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lots",
    )
    use_by = models.DateField(_("DLC (à consommer jusqu'au)"), null=True, blank=True)
    best_before = models.DateField(_("DDM (à consommer de préférence avant)"), null=True, blank=True)
    best_before_month_only = models.BooleanField(
        _("DDM au mois près"), default=False, help_text=_("Date de type « fin mai 2026 ».")
    )
    lot_number = models.CharField(_("numéro de lot"), max_length=60, blank=True, db_index=True)
    received_on = models.DateField(_("reçu le"), default=timezone.localdate)
    unit_cost = models.DecimalField(
        _("coût unitaire"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    document_type = models.CharField(_("type de document d'origine"), max_length=30, blank=True)
    document_id = models.CharField(_("document d'origine"), max_length=64, blank=True)
    initial_quantity = models.DecimalField(
        _("quantité reçue"), max_digits=12, decimal_places=3, default=Decimal("0")
    )
    quantity_on_hand = models.DecimalField(
        _("quantité en stock"), max_digits=12, decimal_places=3, default=Decimal("0")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_on_hand__gte=0), name="stock_lot_quantity_on_hand_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["site", "product"]),
            models.Index(fields=["use_by"]),
            models.Index(fields=["best_before"]),
            models.Index(fields=["document_type", "document_id"]),
        ]

    def __str__(self) -> str:
        number = f" n° {self.lot_number}" if self.lot_number else ""
        return f"Lot #{self.pk}{number}"

    @property
    def expiry(self):
        """The date that governs first-expired-first-out: the DLC, else the DDM."""
        return self.use_by or self.best_before


class Movement(models.Model):
    """One change of a lot's quantity. Never edited, never deleted: corrections are new rows."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Réception")
        SALE = "sale", _("Vente")
        REFUND = "refund", _("Retour (avoir)")
        WASTE = "waste", _("Casse / perte")
        TRANSFER_OUT = "transfer_out", _("Transfert sortant")
        TRANSFER_IN = "transfer_in", _("Transfert entrant")
        ADJUSTMENT = "adjustment", _("Ajustement d'inventaire")

    #: The sign a movement of each kind must have (adjustments go either way).
    SIGNS = {
        Kind.RECEIPT: 1,
        Kind.SALE: -1,
        Kind.REFUND: 1,
        Kind.WASTE: -1,
        Kind.TRANSFER_OUT: -1,
        Kind.TRANSFER_IN: 1,
        Kind.ADJUSTMENT: 0,
    }

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="movements")
    # Denormalised from the lot so ledger reads per site or product need no join.
    site = models.ForeignKey("grocery.Site", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    quantity = models.DecimalField(_("quantité"), max_digits=12, decimal_places=3)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("le"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    document_type = models.CharField(_("type de document"), max_length=30)
    document_id = models.CharField(_("document"), max_length=64)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("mouvement de stock")
        verbose_name_plural = _("mouvements de stock")
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stock_movement_quantity_not_zero"),
        ]
        indexes = [
            models.Index(fields=["document_type", "document_id"]),
            models.Index(fields=["lot", "at"]),
            models.Index(fields=["site", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} (lot #{self.lot_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("A stock movement is immutable: record a correcting movement instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A stock movement is never deleted: record a correcting movement instead.")
