"""The CCAS back office pages: household file, budget (logged), prescribers' referral form,
commission and decision, printable card, workshops. French errors naming the field."""

import datetime

import pytest
from django.urls import reverse

from beneficiaries.models import BudgetAccess, Entitlement, Household, Referral
from tests.factories.beneficiaries import (
    CardFactory,
    EntitlementFactory,
    budget_for,
    household_with_members,
    submitted_referral,
)

pytestmark = pytest.mark.django_db


def _member_rows(rows):
    data = {"m-TOTAL_FORMS": "6", "m-INITIAL_FORMS": "0", "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "15"}
    for index, (first, last, birth, relationship) in enumerate(rows):
        data.update(
            {
                f"m-{index}-first_name": first,
                f"m-{index}-last_name": last,
                f"m-{index}-birth_date": birth,
                f"m-{index}-sex": "X",
                f"m-{index}-relationship": relationship,
            }
        )
    for index in range(len(rows), 6):
        data.update({f"m-{index}-sex": "X", f"m-{index}-relationship": "other"})
    return data


def test_household_file_shows_the_budget_and_logs_the_view(page, ccas, site):
    household = household_with_members()
    budget_for(household)
    EntitlementFactory(household=household, sites=[site])
    card = CardFactory(household=household)
    response = page(ccas).get(reverse("household_detail", args=[household.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "10.00 €" in text and "(1200.00 € − 900.00 €) ÷ 1 personne(s) ÷ 30 jours" in text
    assert card.formatted_number in text
    assert BudgetAccess.objects.filter(household=household, user=ccas, context="page:household").count() == 1


def test_the_household_list_searches(page, ccas):
    household_with_members(display_name="Famille Bernard")
    household_with_members(display_name="Famille Petit")
    response = page(ccas).get(reverse("household_list"), {"q": "bern"})
    assert "Famille Bernard" in response.content.decode() and "Famille Petit" not in response.content.decode()


def test_registering_a_household_on_the_page(page, ccas):
    data = {
        "display_name": "Famille Roux",
        "consent": "on",
        **_member_rows([("Anne", "Roux", "1979-03-02", "applicant"), ("Léo", "Roux", "2014-06-30", "child")]),
    }
    response = page(ccas).post(reverse("household_create"), data)
    household = Household.objects.get(display_name="Famille Roux")
    assert response.status_code == 302 and response["Location"] == reverse(
        "household_detail", args=[household.pk]
    )
    assert household.household_type == "single_parent"


def test_the_page_names_the_field_in_french(page, ccas):
    future = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    data = {"display_name": "Famille Roux", **_member_rows([("Anne", "Roux", future, "applicant")])}
    response = page(ccas).post(reverse("household_create"), data)
    text = response.content.decode()
    assert response.status_code == 200
    assert "Date de naissance : La date de naissance ne peut pas être dans le futur." in text
    assert "Le consentement doit être recueilli." in text
    assert not Household.objects.exists()


def test_the_page_warns_about_a_known_person_and_offers_to_link(page, ccas):
    existing = household_with_members(("Anne", datetime.date(1979, 3, 2), "applicant"))
    existing.members.update(last_name="Roux")
    data = {
        "display_name": "Roux",
        "consent": "on",
        **_member_rows([("anne", "ROUX", "1979-03-02", "applicant")]),
    }
    response = page(ccas).post(reverse("household_create"), data)
    text = response.content.decode()
    assert "Personne déjà connue" in text and existing.reference in text
    assert f"?household={existing.pk}" in text
    assert Household.objects.count() == 1


def test_a_prescriber_refers_a_household_with_the_form(page, partner_user):
    data = {
        "display_name": "Famille Garnier",
        "consent": "on",
        **_member_rows([("Inès", "Garnier", "1990-10-10", "applicant")]),
        "b-income_rsa": "607.75",
        "b-expense_housing": "350",
        "situation": "Seule, RSA",
        "reason": "Dettes",
        "requested_months": "3",
    }
    client = page(partner_user)
    response = client.post(reverse("referral_create"), data)
    referral = Referral.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert referral.partner == partner_user.partner and referral.status == "draft"
    assert str(referral.budget.total_income) == "607.75"
    response = client.post(reverse("referral_action", args=[referral.pk, "submit"]))
    referral.refresh_from_db()
    assert referral.status == "submitted"
    # The prescriber sees the referral but not the budget, nor the household file.
    text = client.get(reverse("referral_detail", args=[referral.pk])).content.decode()
    assert "Famille Garnier" in text and "Reste à vivre" not in text
    assert client.get(reverse("household_detail", args=[referral.household_id])).status_code == 403


def test_the_commission_page_and_an_approval(page, ccas, site):
    referral = submitted_referral()
    client = page(ccas)
    text = client.get(reverse("referral_queue")).content.decode()
    assert referral.household.display_name in text and "10.00 €" in text
    url = reverse("referral_decide", args=[referral.pk])
    today = datetime.date.today().isoformat()
    base = {
        "decision": "approve",
        "sites": [site.pk],
        "start": today,
        "months": "3",
        "participation_rate": "0,200",
    }
    response = client.post(url, {**base, "monthly_allowance": "45.00"})
    assert response.status_code == 200
    assert "Indiquez le motif de la dérogation." in response.content.decode()
    assert not Entitlement.objects.exists()
    response = client.post(url, {**base, "monthly_allowance": "20.00"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "approved" and Entitlement.objects.get().monthly_allowance == 20


def test_the_commission_page_queries_do_not_grow(page, ccas, django_assert_max_num_queries):
    for _ in range(3):
        submitted_referral()
    client = page(ccas)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("referral_queue"))
    for _ in range(15):
        submitted_referral()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("referral_queue"))
    assert response.content.decode().count("Décider") >= 18


def test_the_household_list_queries_do_not_grow(page, ccas, site, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(count):
        for _ in range(count):
            household = household_with_members()
            EntitlementFactory(household=household, sites=[site])
            CardFactory(household=household)

    make(3)
    client = page(ccas)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("household_list"))
    make(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("household_list"))


def test_the_printable_card_shows_nothing_sensitive(page, ccas, site):
    household = household_with_members()
    budget_for(household)
    EntitlementFactory(household=household, sites=[site])
    card = CardFactory(household=household)
    client = page(ccas)
    text = client.get(reverse("card_print", args=[card.pk])).content.decode()
    assert card.formatted_number in text and household.display_name in text
    assert "1200" not in text and "Reste" not in text
    svg = client.get(reverse("card_barcode", args=[card.pk, "svg"]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = client.get(reverse("card_barcode", args=[card.pk, "png"]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_renewing_from_the_household_file(page, ccas, site):
    entitlement = EntitlementFactory(sites=[site])
    client = page(ccas)
    client.post(reverse("entitlement_action", args=[entitlement.pk, "renew"]), {})
    assert Entitlement.objects.filter(renewal_of=entitlement).exists()
    renewal = Entitlement.objects.get(renewal_of=entitlement)
    response = client.post(reverse("entitlement_action", args=[renewal.pk, "renew"]), {}, follow=True)
    assert "Nombre maximal de renouvellements atteint" in response.content.decode()


def test_workshop_pages(page, ccas, site):
    household = household_with_members()
    client = page(ccas)
    response = client.post(
        reverse("workshop_list"),
        {"title": "Économies d'énergie", "starts_at": "2026-03-10T14:00", "site": site.pk, "theme": "energy"},
    )
    assert response.status_code == 302
    response = client.post(
        response["Location"], {"household": household.reference, "attended": "1"}, follow=True
    )
    assert household.display_name in response.content.decode()
    assert household.attendances.count() == 1


def test_the_home_page_tells_the_commission_what_waits(page, ccas, volunteer):
    submitted_referral()
    submitted_referral()
    text = page(ccas).get(reverse("home")).content.decode()
    assert "2 orientations en attente de décision" in text
    assert "en attente de décision" not in page(volunteer).get(reverse("home")).content.decode()


def test_every_page_renders_on_the_demo_data(page, manager, ccas):
    """Every beneficiaries page, for real rows of every kind (demo data), answers 200."""
    from django.core.management import call_command

    from beneficiaries.models import Card, Workshop

    call_command("seed_demo")
    referrals = {status: Referral.objects.filter(status=status).first() for status in Referral.Status.values}
    paths = [
        reverse("household_list"),
        reverse("household_create"),
        reverse("referral_list"),
        reverse("referral_create"),
        reverse("referral_queue"),
        reverse("workshop_list"),
        reverse("referral_list") + "?status=approved",
    ]
    paths += [reverse("household_detail", args=[h.pk]) for h in Household.objects.all()[:40]]
    paths += [reverse("budget_edit", args=[h.pk]) for h in Household.objects.all()[:5]]
    paths += [reverse("referral_detail", args=[r.pk]) for r in referrals.values()]
    paths += [reverse("referral_decide", args=[referrals["submitted"].pk])]
    paths += [reverse("card_print", args=[c.pk]) for c in Card.objects.filter(is_active=True)[:3]]
    paths += [reverse("workshop_detail", args=[w.pk]) for w in Workshop.objects.all()]
    paths += [reverse("referral_create") + f"?household={Household.objects.first().pk}"]
    for user in (manager, ccas):
        client = page(user)
        for path in paths:
            assert client.get(path).status_code == 200, path
    Referral.objects.update(created_by=None)
    assert page(ccas).get(reverse("referral_list")).status_code == 200
    assert page(ccas).get(reverse("referral_detail", args=[referrals["draft"].pk])).status_code == 200


def test_the_prescriber_pages_on_the_demo_data(page):
    from django.core.management import call_command

    from grocery.models import User

    call_command("seed_demo")
    prescriber = User.objects.get(username="partenaire")
    client = page(prescriber)
    own = Referral.objects.filter(partner=prescriber.partner)
    others = Referral.objects.exclude(partner=prescriber.partner)
    assert own.exists() and others.exists()
    text = client.get(reverse("referral_list")).content.decode()
    assert all(r.household.reference in text for r in own)
    for referral in own:
        assert client.get(reverse("referral_detail", args=[referral.pk])).status_code == 200
    assert client.get(reverse("referral_detail", args=[others.first().pk])).status_code == 404
    assert client.get(reverse("referral_create")).status_code == 200
    assert (
        client.get(reverse("referral_create") + f"?household={others.first().household_id}").status_code
        == 404
    )


def test_editing_a_household_and_adding_a_person(page, ccas):
    household = household_with_members()
    client = page(ccas)
    url = reverse("household_edit", args=[household.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "part": "member",
            "new-first_name": "Jules",
            "new-last_name": "Martin",
            "new-birth_date": "2018-02-02",
            "new-sex": "M",
            "new-relationship": "child",
        },
    )
    assert response.status_code == 302 and household.members.count() == 2
    response = client.post(
        url,
        {
            "part": "household",
            "display_name": "Famille Martin",
            "city": "Bayeux",
            "notes": "Suivi budgétaire",
        },
    )
    household.refresh_from_db()
    assert (
        response.status_code == 302 and household.city == "Bayeux" and household.notes == "Suivi budgétaire"
    )
    response = client.post(url, {"part": "household", "display_name": "", "email": "pas-un-courriel"})
    text = response.content.decode()
    assert "Nom du foyer : Ce champ est obligatoire." in text and "Courriel :" in text


def test_malformed_parameters_are_not_errors(page, api, ccas):
    household = household_with_members()
    assert page(ccas).get(reverse("referral_create") + "?household=abc").status_code == 404
    response = api(ccas).get(f"/api/v1/households/{household.pk}/budget/?version=abc")
    assert response.status_code == 400 and "version" in response.json()["fields"]
