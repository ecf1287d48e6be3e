"""Shared records of the installation: users, sites (épiceries), partner organisations, audit."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.fr import siret as siret_number


class Site(models.Model):
    """An épicerie of the installation. Stock, tills and sessions are per site."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    address = models.TextField(_("adresse"), blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=80, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    opening_hours = models.TextField(
        _("horaires d'ouverture"), blank=True, help_text=_("Ex. : mardi et jeudi 9h-12h")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("épicerie")
        verbose_name_plural = _("épiceries")

    def __str__(self) -> str:
        return self.name


def validate_siret(value: str) -> None:
    if value and not siret_number.is_valid(value):
        raise ValidationError(
            _("Numéro SIRET invalide (14 chiffres, clé de contrôle)."), code="invalid_siret"
        )


class PartnerOrganisation(models.Model):
    """A partner: it donates goods and/or refers households through its social workers."""

    class Kind(models.TextChoices):
        CHARITY = "charity", _("Association")
        COMPANY = "company", _("Entreprise")
        FOOD_BANK = "food_bank", _("Banque Alimentaire")
        STORE = "store", _("Magasin (ramasse)")
        INDIVIDUAL = "individual", _("Particulier")
        PUBLIC = "public", _("Service public (CCAS, département, CAF)")

    name = models.CharField(_("nom"), max_length=160, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    siret = models.CharField(
        _("SIRET"), max_length=14, blank=True, validators=[validate_siret]
    )
    address = models.TextField(_("adresse"), blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation partenaire")
        verbose_name_plural = _("organisations partenaires")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.kind == self.Kind.COMPANY and not self.siret:
            raise ValidationError({"siret": _("Le SIRET est obligatoire pour une entreprise.")})


class User(AbstractUser):
    """A person who signs in. Roles are groups; a partner user belongs to one organisation."""

    partner = models.ForeignKey(
        PartnerOrganisation,
        verbose_name=_("organisation partenaire"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    default_site = models.ForeignKey(
        Site,
        verbose_name=_("épicerie par défaut"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")


class AuditEntry(models.Model):
    """Who did what to which record, and when. Written by services, never edited."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal des actions")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"


class FailedLogin(models.Model):
    """A failed sign-in, counted to throttle password guessing."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"
