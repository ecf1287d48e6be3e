"""A household (foyer) and its members; type, persons and consumption units are derived."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beneficiaries import budget


class HouseholdType(models.TextChoices):
    SINGLE = "single", _("Personne seule")
    COUPLE = "couple", _("Couple sans enfant")
    SINGLE_PARENT = "single_parent", _("Famille monoparentale")
    COUPLE_WITH_CHILDREN = "couple_children", _("Couple avec enfant(s)")
    OTHER = "other", _("Autre")


class Household(models.Model):
    """A foyer. Sensitive fields (notes, budgets) are read only by CCAS staff and managers."""

    reference = models.CharField(_("référence"), max_length=20, unique=True)
    display_name = models.CharField(_("nom d'usage du foyer"), max_length=160)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    address = models.TextField(_("adresse"), blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=80, blank=True)
    notes = models.TextField(_("notes (confidentielles)"), blank=True)
    consent_at = models.DateTimeField(_("consentement recueilli le"), null=True, blank=True)
    consent_text_version = models.CharField(_("version du texte accepté"), max_length=20, blank=True)
    partner = models.ForeignKey(
        "grocery.PartnerOrganisation",
        verbose_name=_("organisation qui a orienté le foyer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True)

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = _("foyer")
        verbose_name_plural = _("foyers")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.reference})"

    # Derived composition. Use with `prefetch_related("members")` on lists.
    def member_list(self) -> list["Member"]:
        return list(self.members.all())

    @property
    def persons(self) -> int:
        return len(self.member_list())

    def composition_on(self, on_date: date | None = None) -> list[tuple[int, str]]:
        on_date = on_date or timezone.localdate()
        return [(m.age_on(on_date), m.relationship) for m in self.member_list()]

    @property
    def consumption_units(self) -> Decimal:
        return budget.consumption_units([age for age, _rel in self.composition_on()])

    @property
    def household_type(self) -> str:
        return budget.household_type(self.composition_on())

    def get_household_type_display(self) -> str:
        return str(HouseholdType(self.household_type).label)

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None


class Member(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Femme")
        MALE = "M", _("Homme")
        UNDECLARED = "X", _("Non déclaré")

    class Relationship(models.TextChoices):
        APPLICANT = "applicant", _("Demandeur")
        PARTNER = "partner", _("Conjoint")
        CHILD = "child", _("Enfant")
        RELATIVE = "relative", _("Autre parent")
        OTHER = "other", _("Autre personne")

    household = models.ForeignKey(
        Household, verbose_name=_("foyer"), on_delete=models.CASCADE, related_name="members"
    )
    first_name = models.CharField(_("prénom"), max_length=80)
    last_name = models.CharField(_("nom"), max_length=80)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe (déclaré)"), max_length=1, choices=Sex.choices, default=Sex.UNDECLARED)
    relationship = models.CharField(_("lien avec le demandeur"), max_length=12, choices=Relationship.choices)
    # Self-declared, optional, used only for funders' anonymous statistics.
    has_disability = models.BooleanField(_("situation de handicap (déclarée)"), default=False)
    is_migrant = models.BooleanField(_("personne migrante (déclarée)"), default=False)
    is_homeless = models.BooleanField(_("sans domicile (déclaré)"), default=False)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        indexes = [models.Index(fields=["last_name", "birth_date"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, on_date: date) -> int:
        years = on_date.year - self.birth_date.year
        if (on_date.month, on_date.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return max(years, 0)
