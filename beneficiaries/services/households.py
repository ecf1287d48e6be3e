"""Registering households and members (with duplicate detection), and versioned budgets."""

import unicodedata
import uuid
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from grocery.audit import log_action
from grocery.errors import Conflict, DomainError

from ..models import (
    BeneficiarySettings,
    BudgetAccess,
    BudgetLine,
    BudgetVersion,
    Debt,
    ExpenseCategory,
    Household,
    IncomeCategory,
    Member,
)
from ._common import ZERO, actor_or_none, lock_household, money, required_text

_DUPLICATE_MESSAGE = (
    "Une personne de ce foyer est déjà enregistrée : rattachez la demande au dossier existant."  # noqa: E501
)
HOUSEHOLD_FIELDS = ("display_name", "phone", "email", "address", "postcode", "city", "notes")
MEMBER_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "relationship",
    "has_disability",
    "is_migrant",
    "is_homeless",
)


def normalise_name(name: str) -> str:
    """Case and accents do not make two people different: 'Hélène' == 'HELENE'."""
    decomposed = unicodedata.normalize("NFKD", (name or "").strip().casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ").split())


def find_duplicates(members: Iterable[dict], *, exclude_household_id: int | None = None) -> list[Household]:
    """Households (not anonymised) with a member of the same first name, last name and birth
    date as one of `members`."""
    wanted = {
        (normalise_name(m.get("first_name", "")), normalise_name(m.get("last_name", "")), m.get("birth_date"))
        for m in members
        if m.get("birth_date")
    }
    if not wanted:
        return []
    candidates = (
        Member.objects.filter(birth_date__in={w[2] for w in wanted}, household__anonymised_at__isnull=True)
        .select_related("household")
        .order_by("household_id")
    )
    if exclude_household_id:
        candidates = candidates.exclude(household_id=exclude_household_id)
    found: dict[int, Household] = {}
    for member in candidates:
        key = (normalise_name(member.first_name), normalise_name(member.last_name), member.birth_date)
        if key in wanted:
            found[member.household_id] = member.household
    return list(found.values())


def _clean_member(data: dict, index: int | None = None) -> dict:
    prefix = f"members[{index}]." if index is not None else ""
    cleaned = {key: data[key] for key in MEMBER_FIELDS if key in data}
    for field, label in (("first_name", _("Le prénom")), ("last_name", _("Le nom"))):
        cleaned[field] = required_text(
            data.get(field), prefix + field, _("%(f)s est obligatoire.") % {"f": label}
        )
        if len(cleaned[field]) > 80:
            raise DomainError.for_field(prefix + field, _("80 caractères au maximum."), "invalid")
    birth_date = data.get("birth_date")
    if isinstance(birth_date, str):
        try:
            birth_date = parse_date(birth_date)
        except ValueError:
            birth_date = None
    if not isinstance(birth_date, date):
        raise DomainError.for_field(
            prefix + "birth_date", _("Date de naissance invalide."), "invalid_birth_date"
        )
    if birth_date > timezone.localdate():
        raise DomainError.for_field(
            prefix + "birth_date",
            _("La date de naissance ne peut pas être dans le futur."),
            "invalid_birth_date",
        )
    if birth_date.year < 1900:
        raise DomainError.for_field(
            prefix + "birth_date", _("Date de naissance invalide."), "invalid_birth_date"
        )
    cleaned["birth_date"] = birth_date
    cleaned.setdefault(
        "relationship", Member.Relationship.APPLICANT if index in (None, 0) else Member.Relationship.OTHER
    )
    if cleaned["relationship"] not in Member.Relationship.values:
        raise DomainError.for_field(prefix + "relationship", _("Lien inconnu."), "invalid")
    if cleaned.get("sex", Member.Sex.UNDECLARED) not in Member.Sex.values:
        raise DomainError.for_field(prefix + "sex", _("Valeur inconnue."), "invalid")
    return cleaned


@transaction.atomic
def household_create(
    *,
    actor,
    display_name: str,
    members: list[dict],
    consent: bool,
    partner=None,
    confirm_not_duplicate: bool = False,
    **fields,
) -> Household:
    """Register a household with its members. The person's consent is required. If a member
    already exists in another file (same names and birth date), refuses with
    `possible_duplicate` (409) listing the files, so the caller links to the existing file
    instead; `confirm_not_duplicate=True` records a homonym deliberately."""
    display_name = required_text(display_name, "display_name", _("Le nom du foyer est obligatoire."))
    if not consent:
        raise DomainError.for_field(
            "consent", _("Le consentement au traitement des données doit être recueilli."), "consent_required"
        )
    if not members:
        raise DomainError.for_field(
            "members", _("Ajoutez au moins une personne au foyer."), "members_required"
        )
    cleaned = [_clean_member(member, index) for index, member in enumerate(members)]
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise DomainError(f"Unknown fields {sorted(unknown)}", "invalid")
    if not confirm_not_duplicate:
        duplicates = find_duplicates(cleaned)
        if duplicates:
            raise Conflict(
                _(_DUPLICATE_MESSAGE),
                "possible_duplicate",
                fields={"members": [_("Personne déjà connue (même nom et date de naissance).")]},
                extra={"duplicates": [{"id": h.pk, "reference": h.reference} for h in duplicates]},
            )
    settings = BeneficiarySettings.get_solo()
    household = Household.objects.create(
        reference=f"tmp-{uuid.uuid4().hex[:16]}",  # replaced below, once the pk is known
        display_name=display_name,
        consent_at=timezone.now(),
        consent_text_version=settings.consent_text_version,
        partner=partner,
        created_by=actor_or_none(actor),
        **{key: (value or "").strip() for key, value in fields.items()},
    )
    # The reference comes from the primary key: unique without a race on a counter.
    household.reference = f"F-{household.created_at:%Y}-{household.pk:05d}"
    household.save(update_fields=["reference"])
    Member.objects.bulk_create([Member(household=household, **member) for member in cleaned])
    log_action(
        actor, "household.create", household, members=len(cleaned), homonym_confirmed=confirm_not_duplicate
    )
    return household


@transaction.atomic
def household_update(*, household: Household, actor, **fields) -> Household:
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise DomainError(f"Unknown fields {sorted(unknown)}", "invalid")
    if household.anonymised_at:
        raise Conflict(_("Ce foyer a été anonymisé."), "household_anonymised")
    if "display_name" in fields:
        fields["display_name"] = required_text(
            fields["display_name"], "display_name", _("Le nom est obligatoire.")
        )
    for key, value in fields.items():
        setattr(household, key, (value or "").strip())
    household.save(update_fields=list(fields))
    log_action(actor, "household.update", household, fields=sorted(fields))
    return household


@transaction.atomic
def member_add(*, household: Household, actor, confirm_not_duplicate: bool = False, **data) -> Member:
    cleaned = _clean_member({"relationship": Member.Relationship.OTHER, **data})
    lock_household(household.pk)
    if not confirm_not_duplicate:
        duplicates = find_duplicates([cleaned], exclude_household_id=household.pk)
        if duplicates:
            raise Conflict(
                _("Cette personne est déjà enregistrée dans un autre foyer."),
                "possible_duplicate",
                extra={"duplicates": [{"id": h.pk, "reference": h.reference} for h in duplicates]},
            )
    member = Member.objects.create(household=household, **cleaned)
    log_action(actor, "member.add", household, member=member.pk)
    return member


@transaction.atomic
def member_update(*, member: Member, actor, **data) -> Member:
    current = {key: getattr(member, key) for key in MEMBER_FIELDS}
    cleaned = _clean_member({**current, **data})
    for key, value in cleaned.items():
        setattr(member, key, value)
    member.save()
    log_action(actor, "member.update", member.household, member=member.pk, fields=sorted(data))
    return member


@transaction.atomic
def member_remove(*, member: Member, actor) -> None:
    lock_household(member.household_id)
    if member.household.members.count() <= 1:
        raise Conflict(_("Un foyer garde au moins une personne."), "last_member")
    household = member.household
    member.delete()
    log_action(actor, "member.remove", household)


def _clean_lines(lines: Iterable[dict], kind: str, categories) -> list[BudgetLine]:
    result = []
    for index, line in enumerate(lines or []):
        field = f"{'incomes' if kind == BudgetLine.Kind.INCOME else 'expenses'}[{index}]"
        category = line.get("category")
        if category not in categories.values:
            raise DomainError.for_field(f"{field}.category", _("Catégorie inconnue."), "invalid_category")
        amount = money(line.get("monthly_amount"), f"{field}.monthly_amount")
        result.append(
            BudgetLine(
                kind=kind,
                category=category,
                label=(line.get("label") or "").strip()[:120],
                monthly_amount=amount,
            )
        )
    return result


@transaction.atomic
def budget_record(
    *,
    household: Household,
    actor,
    incomes: Iterable[dict] = (),
    expenses: Iterable[dict] = (),
    debts: Iterable[dict] = (),
    note: str = "",
) -> BudgetVersion:
    """A new version of the household's budget (earlier versions stay as they were, so the
    referrals decided on them keep their snapshot). Amounts are monthly, never negative."""
    lines = _clean_lines(incomes, BudgetLine.Kind.INCOME, IncomeCategory) + _clean_lines(
        expenses, BudgetLine.Kind.EXPENSE, ExpenseCategory
    )
    debt_rows = []
    for index, debt in enumerate(debts or []):
        creditor = required_text(
            debt.get("creditor"), f"debts[{index}].creditor", _("Indiquez le créancier.")
        )
        debt_rows.append(
            Debt(
                creditor=creditor[:120],
                outstanding=money(debt.get("outstanding"), f"debts[{index}].outstanding", maximum=9_999_999),
                monthly_repayment=money(
                    debt.get("monthly_repayment") or "0", f"debts[{index}].monthly_repayment"
                ),
                in_repayment_plan=bool(debt.get("in_repayment_plan")),
            )
        )
    if household.anonymised_at:
        raise Conflict(_("Ce foyer a été anonymisé."), "household_anonymised")
    lock_household(household.pk)
    last = household.budgets.order_by("-number").values_list("number", flat=True).first() or 0
    version = BudgetVersion.objects.create(
        household=household,
        number=last + 1,
        created_by=actor_or_none(actor),
        note=(note or "").strip(),
        total_income=sum((line.monthly_amount for line in lines if line.kind == "income"), ZERO),
        total_expenses=sum((line.monthly_amount for line in lines if line.kind == "expense"), ZERO),
    )
    for row in lines + debt_rows:
        row.budget = version
    BudgetLine.objects.bulk_create(lines)
    Debt.objects.bulk_create(debt_rows)
    log_action(actor, "budget.record", household, version=version.number)
    return version


def budget_access_record(*, household: Household, actor, context: str) -> BudgetAccess:
    """Write who looked at this household's budget (called by every page and endpoint that
    shows one). Not atomic on purpose: the log row stands even if the page later fails."""
    return BudgetAccess.objects.create(household=household, user=actor_or_none(actor), context=context[:80])


def budget_accesses_record(*, households: Iterable[Household], actor, context: str) -> None:
    """The same for a page showing several budgets (the commission): one insert."""
    user = actor_or_none(actor)
    BudgetAccess.objects.bulk_create(
        [BudgetAccess(household=household, user=user, context=context[:80]) for household in households]
    )
