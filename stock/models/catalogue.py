"""The catalogue: categories, products and their barcodes."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """A shelf category. `given_free` marks goods that must never be charged (FEAD/FSE+)."""

    class FoodGroup(models.TextChoices):
        FRUITS_VEGETABLES = "fruits_vegetables", _("Fruits et légumes")
        STARCHES = "starches", _("Féculents (pain, pâtes, riz, céréales)")
        DAIRY = "dairy", _("Produits laitiers")
        PROTEINS = "proteins", _("Viandes, poissons, œufs")
        FATS = "fats", _("Matières grasses")
        SWEET = "sweet", _("Produits sucrés")
        DRINKS = "drinks", _("Boissons")
        PREPARED = "prepared", _("Plats préparés et conserves")
        BABY = "baby", _("Bébé")
        HYGIENE = "hygiene", _("Hygiène")
        HOUSEHOLD = "household", _("Entretien")
        OTHER = "other", _("Autre")

    name = models.CharField(_("nom"), max_length=120, unique=True)
    food_group = models.CharField(_("groupe d'aliments"), max_length=30, choices=FoodGroup.choices)
    given_free = models.BooleanField(
        _("distribué gratuitement"),
        default=False,
        help_text=_(
            "Denrées des programmes européens (FEAD/FSE+) : passées en caisse à 0 €, jamais vendues."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    class Unit(models.TextChoices):
        PIECE = "piece", _("pièce")
        KG = "kg", _("kg")
        LITRE = "l", _("litre")

    class Storage(models.TextChoices):
        AMBIENT = "ambient", _("Ambiant")
        CHILLED = "chilled", _("Frais (0 à 4 °C)")
        FROZEN = "frozen", _("Surgelé (−18 °C)")

    name = models.CharField(_("nom"), max_length=160)
    brand = models.CharField(_("marque"), max_length=80, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("catégorie"), on_delete=models.PROTECT, related_name="products"
    )
    unit = models.CharField(_("unité"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    net_weight_kg = models.DecimalField(
        _("poids net (kg)"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Poids d'une unité, pour les statistiques en kilogrammes."),
    )
    market_price = models.DecimalField(
        _("prix de référence (marché)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Prix de vente constaté en grande surface, par unité."),
    )
    storage = models.CharField(
        _("conservation"), max_length=10, choices=Storage.choices, default=Storage.AMBIENT
    )
    low_stock_threshold = models.DecimalField(
        _("seuil de stock bas"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("produit")
        verbose_name_plural = _("produits")
        indexes = [models.Index(fields=["category", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.brand})" if self.brand else self.name

    @property
    def is_weighed(self) -> bool:
        return self.unit != self.Unit.PIECE

    def weight_kg(self, quantity: Decimal) -> Decimal:
        """Kilograms for a quantity of this product (1 litre counts as 1 kg when no weight is known)."""
        if self.unit in (self.Unit.KG,):
            return quantity
        per_unit = self.net_weight_kg
        if per_unit is None:
            per_unit = Decimal("1") if self.unit == self.Unit.LITRE else Decimal("0")
        return (quantity * per_unit).quantize(Decimal("0.001"))


class Barcode(models.Model):
    """A code printed on the product. Stored normalised (see stock.barcodes)."""

    class Kind(models.TextChoices):
        EAN13 = "ean13", _("EAN-13")
        EAN8 = "ean8", _("EAN-8")
        UPCA = "upca", _("UPC-A")
        INTERNAL = "internal", _("Code interne (vrac)")

    product = models.ForeignKey(
        Product, verbose_name=_("produit"), on_delete=models.CASCADE, related_name="barcodes"
    )
    code = models.CharField(_("code-barres"), max_length=14, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("code-barres")
        verbose_name_plural = _("codes-barres")

    def __str__(self) -> str:
        return self.code
