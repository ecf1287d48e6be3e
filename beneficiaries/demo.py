"""Demo data for beneficiaries: about forty households with French names, their members and
budgets, referrals in every state, entitlements (most active, with cards), a few goals and
workshops. Deterministic (random.Random(42)) and idempotent: each household is found by its
demo reference before anything is created."""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from . import services
from .models import Household, Referral, Workshop

COUNT = 40
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefèvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
]
WOMEN = ["Marie", "Nathalie", "Isabelle", "Sandrine", "Sophie", "Céline", "Aurélie", "Nadia", "Fatima", "Léa"]
MEN = [
    "Jean",
    "Philippe",
    "Nicolas",
    "Christophe",
    "Karim",
    "David",
    "Julien",
    "Mohamed",
    "Sébastien",
    "Thierry",
]
CHILDREN = [
    "Lucas",
    "Emma",
    "Hugo",
    "Jade",
    "Louis",
    "Chloé",
    "Nathan",
    "Inès",
    "Adam",
    "Manon",
    "Yanis",
    "Lina",
]
SITUATIONS = [
    "Séparation récente, seule avec les enfants ; RSA en attente de révision.",
    "Perte d'emploi il y a quatre mois, allocations chômage réduites.",
    "Retraite modeste, facture d'énergie impayée après l'hiver.",
    "Travail à temps partiel, loyer élevé et dette de loyer.",
    "Arrêt maladie longue durée, dossier AAH en cours.",
]
GOALS = [
    ("arrear", "Impayé EDF", "420.00"),
    ("debt", "Dette de loyer (bailleur social)", "900.00"),
    ("project", "Permis de conduire", "1200.00"),
    ("arrear", "Facture d'eau", "180.00"),
]

# index -> what happens to the referral (the rest are approved and active).
FATES = {
    **{i: "submitted" for i in range(28, 32)},
    **{i: "draft" for i in range(32, 35)},
    **{i: "refused" for i in range(35, 37)},
    **{i: "withdrawn" for i in range(37, 39)},
    24: "suspended",
    25: "ended",
    26: "expired",
    27: "expired",
}


def _reference(index: int) -> str:
    return f"F-DEMO-{index + 1:03d}"


def _members(rng: random.Random, last_name: str, today: datetime.date) -> list[dict]:
    def birth(age_min, age_max):
        return today - datetime.timedelta(days=rng.randint(age_min * 365, age_max * 365))

    kind = rng.choice(["single", "single", "single_parent", "single_parent", "couple", "couple_children"])
    woman = rng.random() < 0.6
    members = [
        {
            "first_name": rng.choice(WOMEN if woman else MEN),
            "last_name": last_name,
            "birth_date": birth(22, 78),
            "sex": "F" if woman else "M",
            "relationship": "applicant",
            "has_disability": rng.random() < 0.08,
            "is_migrant": rng.random() < 0.1,
        }
    ]
    if kind in ("couple", "couple_children"):
        members.append(
            {
                "first_name": rng.choice(MEN if woman else WOMEN),
                "last_name": last_name,
                "birth_date": birth(22, 70),
                "sex": "M" if woman else "F",
                "relationship": "partner",
            }
        )
    if kind in ("single_parent", "couple_children"):
        for _ in range(rng.randint(1, 3)):
            members.append(
                {
                    "first_name": rng.choice(CHILDREN),
                    "last_name": last_name,
                    "birth_date": birth(1, 17),
                    "relationship": "child",
                }
            )
    return members


def _budget(rng: random.Random, persons: int) -> dict:
    income = [{"category": "rsa", "monthly_amount": Decimal(rng.randint(560, 900))}]
    if persons > 1:
        income.append({"category": "family_allowance", "monthly_amount": Decimal(rng.randint(0, 300))})
    income.append({"category": "housing_benefit", "monthly_amount": Decimal(rng.randint(150, 320))})
    expenses = [
        {"category": "housing", "monthly_amount": Decimal(rng.randint(380, 720))},
        {"category": "energy", "monthly_amount": Decimal(rng.randint(60, 160))},
        {"category": "insurance", "monthly_amount": Decimal(rng.randint(20, 60))},
        {"category": "phone", "monthly_amount": Decimal(rng.randint(15, 45))},
    ]
    debts = (
        [{"creditor": "EDF", "outstanding": Decimal(rng.randint(150, 800)), "monthly_repayment": 0}]
        if rng.random() < 0.4
        else []
    )
    return {"incomes": income, "expenses": expenses, "debts": debts}


@transaction.atomic
def seed(ctx) -> None:
    rng = random.Random(42)
    today = timezone.localdate()
    staff = ctx.users.get("ccas")
    prescriber = ctx.users.get("partenaire")
    sites = list(ctx.sites)
    created = 0
    for index in range(COUNT):
        # Draw every random value even for an existing household, so the others stay the same.
        last_name = LAST_NAMES[index % len(LAST_NAMES)]
        members = _members(rng, last_name, today)
        budget = _budget(rng, len(members))
        started_days_ago = rng.randint(0, 70)
        card_rng = random.Random(rng.random())
        goal = rng.choice(GOALS)
        street = rng.choice(["des Lilas", "Saint-Pierre", "de Bayeux", "Basse"])
        address = f"{rng.randint(1, 80)} rue {street}"
        if Household.objects.filter(reference=_reference(index)).exists():
            continue
        by_partner = index % 3 == 0 and prescriber is not None
        author = prescriber if by_partner else staff
        household = services.household_create(
            actor=author,
            display_name=f"Famille {last_name}"
            if len(members) > 1
            else f"{members[0]['first_name']} {last_name}",
            members=members,
            consent=True,
            confirm_not_duplicate=True,
            partner=prescriber.partner if by_partner else None,
            city="Caen",
            postcode="14000",
            address=address,
        )
        Household.objects.filter(pk=household.pk).update(reference=_reference(index))
        version = services.budget_record(household=household, actor=author, **budget)
        referral = services.referral_create(
            actor=author,
            household=household,
            situation=SITUATIONS[index % len(SITUATIONS)],
            reason="Reste à vivre insuffisant pour l'alimentation.",
            proposed_goal=goal[1],
            budget=version,
        )
        fate = FATES.get(index, "active")
        created += 1
        if fate == "draft":
            continue
        if fate == "withdrawn" and index % 2:
            services.referral_withdraw(referral=referral, actor=author, reason="Le foyer a déménagé.")
            continue
        services.referral_submit(referral=referral, actor=author)
        Referral.objects.filter(pk=referral.pk).update(
            submitted_at=timezone.now() - datetime.timedelta(days=started_days_ago + 7)
        )
        if fate == "submitted":
            continue
        if fate == "withdrawn":
            services.referral_withdraw(referral=referral, actor=author, reason="Situation améliorée.")
            continue
        if fate == "refused":
            services.referral_refuse(referral=referral, actor=staff, reason="Ressources au-dessus du seuil.")
            continue
        services.card_issue(household=household, actor=staff, rng=card_rng)
        start = today - datetime.timedelta(days=started_days_ago + (200 if fate == "expired" else 0))
        entitlement = services.referral_approve(
            referral=referral,
            actor=staff,
            sites=sites[: 1 + index % 2],
            start=start,
        )
        if fate == "suspended":
            services.entitlement_suspend(
                entitlement=entitlement, actor=staff, reason="Absence de plus d'un mois."
            )
        elif fate == "ended":
            services.entitlement_end(entitlement=entitlement, actor=staff, reason="Reprise d'emploi.")
        elif fate == "active" and index % 4 == 0:
            services.goal_create(
                entitlement=entitlement,
                actor=staff,
                kind=goal[0],
                label=goal[1],
                target_amount=goal[2],
                target_date=entitlement.end,
            )
    services.entitlements_expire(today=today)
    _workshops(rng, sites, staff, today)
    ctx.log.append(f"Bénéficiaires : {created} foyers créés ({Household.objects.count()} au total).")


def _workshops(rng, sites, staff, today) -> None:
    plans = [
        ("Cuisiner avec les produits de saison", "cooking", -6),
        ("Réduire sa facture d'énergie", "energy", 8),
        ("Faire ses comptes du mois", "budget", 20),
    ]
    for title, theme, days in plans:
        if Workshop.objects.filter(title=title).exists():
            continue
        starts = timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(14, 0))
        )
        workshop = services.workshop_create(
            actor=staff, title=title, starts_at=starts, site=sites[0], theme=theme, capacity=12
        )
        for household in Household.objects.filter(
            reference__startswith="F-DEMO-", entitlements__status="active"
        ).order_by("reference")[:5]:
            services.attendance_record(workshop=workshop, household=household, actor=staff, attended=days < 0)
