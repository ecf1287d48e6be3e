"""The whole path through the API: a partner's prescriber refers a household, CCAS staff approve
with an override, the till looks the card up, staff renew, a second renewal is refused, and the
household is anonymised once the retention period has passed."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from beneficiaries.models import BudgetAccess, Entitlement, Household, Referral
from grocery.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW_HOUSEHOLD = {
    "display_name": "Famille Lemaire",
    "phone": "06 12 34 56 78",
    "city": "Caen",
    "consent": True,
    "members": [
        {
            "first_name": "Nadia",
            "last_name": "Lemaire",
            "birth_date": "1988-02-14",
            "sex": "F",
            "relationship": "applicant",
        },
        {
            "first_name": "Yanis",
            "last_name": "Lemaire",
            "birth_date": "2016-09-01",
            "sex": "M",
            "relationship": "child",
        },
    ],
}
BUDGET = {
    "incomes": [
        {"category": "rsa", "monthly_amount": "650.00"},
        {"category": "family_allowance", "monthly_amount": "150.00"},
    ],
    "expenses": [
        {"category": "housing", "monthly_amount": "420.00"},
        {"category": "energy", "monthly_amount": "80.00"},
    ],
    "debts": [{"creditor": "EDF", "outstanding": "340.00", "monthly_repayment": "0"}],
}


def test_the_whole_path(api, partner_user, ccas, volunteer, manager, site, monkeypatch):
    prescriber, staff, till, boss = api(partner_user), api(ccas), api(volunteer), api(manager)

    # 1. The prescriber refers a new household with its budget, then submits.
    response = prescriber.post(
        "/api/v1/referrals/",
        {
            "new_household": NEW_HOUSEHOLD,
            "budget": BUDGET,
            "situation": "Séparation récente, RSA.",
            "reason": "Reste à vivre très faible.",
            "proposed_goal": "Apurer la dette EDF",
            "requested_months": 3,
        },
    )
    assert response.status_code == 201, response.json()
    referral = response.json()
    assert referral["status"] == "draft" and referral["partner"] == partner_user.partner_id
    assert "budget" not in referral  # partners never read budgets back
    response = prescriber.post(f"/api/v1/referrals/{referral['id']}/submit/")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    # Read-only once submitted.
    response = prescriber.patch(f"/api/v1/referrals/{referral['id']}/", {"situation": "autre"})
    assert response.status_code == 409 and response.json()["code"] == "referral_read_only"

    # 2. The commission sees it with the reste à vivre: (800 − 500) ÷ 2 ÷ 30 = 5.00 € per person per day.
    response = staff.get("/api/v1/referrals/commission/")
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["referral"]["id"] == referral["id"]
    assert row["budget"]["reste_a_vivre"] == "5.00" and row["budget"]["threshold"] == "8.00"
    assert row["budget"]["below_threshold"] is True
    assert row["suggested_allowance"] == "25.00"  # one adult 20 € + one child 5 €
    household_id = row["referral"]["household"]["id"]
    assert BudgetAccess.objects.filter(household_id=household_id, user=ccas).count() == 1

    # 3. Approving with a higher allowance needs a reason; with one, the entitlement opens.
    approval = {"sites": [site.pk], "monthly_allowance": "35.00"}
    response = staff.post(f"/api/v1/referrals/{referral['id']}/approve/", approval)
    assert response.status_code == 400 and response.json()["code"] == "override_reason_required"
    assert "override_reason" in response.json()["fields"]
    assert not Entitlement.objects.exists()
    approval["override_reason"] = "Dette d'énergie importante."
    response = staff.post(f"/api/v1/referrals/{referral['id']}/approve/", approval)
    assert response.status_code == 201, response.json()
    entitlement = response.json()
    assert entitlement["monthly_allowance"] == "35.00" and entitlement["status"] == "active"
    assert entitlement["participation_rate"] == "0.200" and entitlement["sites"] == [site.pk]
    referral_row = Referral.objects.get(pk=referral["id"])
    assert referral_row.status == "approved" and referral_row.decided_by == ccas
    assert referral_row.decision_reason == "Dette d'énergie importante."
    # Approving again is an impossible transition.
    response = staff.post(f"/api/v1/referrals/{referral['id']}/approve/", approval)
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    response = staff.post(f"/api/v1/referrals/{referral['id']}/refuse/", {"reason": "x"})
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"

    # 4. The till looks the card up: exactly what it needs.
    household = Household.objects.get(pk=household_id)
    number = household.cards.get(is_active=True).number
    response = till.get(f"/api/v1/cards/{number}/")
    assert response.status_code == 200
    lookup = response.json()
    assert set(lookup) == {"number", "household", "entitlement", "allowance", "limits"}
    assert lookup["household"] == {"id": household_id, "display_name": "Famille Lemaire", "persons": 2}
    assert set(lookup["entitlement"]) == {
        "id",
        "status",
        "start",
        "end",
        "participation_rate",
        "allowance_basis",
        "monthly_allowance",
        "sites",
    }
    assert lookup["entitlement"]["status"] == "active" and lookup["entitlement"]["sites"] == [site.pk]
    assert lookup["allowance"] == {
        "month": timezone.localdate().replace(day=1).isoformat(),
        "allowance": "35.00",
        "spent": "0.00",
        "remaining": "35.00",
    }
    assert lookup["limits"] == []

    # 5. Staff renew once; a second renewal is beyond the setting (1), unless overridden.
    response = staff.post(f"/api/v1/entitlements/{entitlement['id']}/renew/", {})
    assert response.status_code == 201, response.json()
    renewal = response.json()
    assert renewal["renewal_of"] == entitlement["id"] and renewal["renewal_number"] == 1
    assert (
        renewal["start"]
        == (datetime.date.fromisoformat(entitlement["end"]) + datetime.timedelta(days=1)).isoformat()
    )
    response = staff.post(f"/api/v1/entitlements/{renewal['id']}/renew/", {})
    assert response.status_code == 409 and response.json()["code"] == "renewal_limit_reached"
    assert Entitlement.objects.count() == 2

    # 6. GDPR: the manager exports everything; anonymisation waits for the retention period.
    response = boss.get(f"/api/v1/households/{household_id}/export/")
    assert response.status_code == 200
    export = response.json()
    assert [m["first_name"] for m in export["members"]] == ["Nadia", "Yanis"]
    assert export["budgets"][0]["debts"][0]["creditor"] == "EDF"
    staff.post(f"/api/v1/entitlements/{renewal['id']}/end/", {"reason": "Fin de l'accompagnement"})
    staff.post(f"/api/v1/entitlements/{entitlement['id']}/end/", {"reason": "Fin de l'accompagnement"})
    response = boss.post(f"/api/v1/households/{household_id}/anonymise/")
    assert response.status_code == 409 and response.json()["code"] == "anonymise_too_early"
    later = timezone.localdate() + datetime.timedelta(days=30 * 31)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: later)
    response = boss.post(f"/api/v1/households/{household_id}/anonymise/")
    assert response.status_code == 200, response.json()
    household.refresh_from_db()
    assert household.display_name == "Foyer anonymisé" and household.phone == ""
    names = set(household.members.values_list("first_name", "last_name"))
    assert names == {("—", "—")}
    # The anonymous statistics remain: composition, birth years, entitlements.
    assert sorted(household.members.values_list("birth_date", flat=True)) == [
        datetime.date(1988, 1, 1),
        datetime.date(2016, 1, 1),
    ]
    assert household.entitlements.count() == 2 and Entitlement.objects.get(
        pk=entitlement["id"]
    ).monthly_allowance == Decimal("35.00")
    assert not household.budgets.filter(lines__isnull=False).exists()
    response = till.get(f"/api/v1/cards/{number}/")
    assert response.status_code == 409 and response.json()["code"] == "card_inactive"
    assert AuditEntry.objects.filter(action="household.anonymise").exists()
