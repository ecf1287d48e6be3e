"""The till page's server side: what it hands the JavaScript, and the search by name."""
import datetime
import json

import pytest
from django.utils import timezone

from tests.factories.beneficiaries import CardFactory, EntitlementFactory, HouseholdFactory
from tests.factories.counter import TillFactory, open_session

pytestmark = pytest.mark.django_db


def _config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="till-config" type="application/json">') + len(
        '<script id="till-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_the_till_page_gives_the_script_its_site_and_api(page, volunteer, site):
    response = page(volunteer).get("/caisse/")
    assert response.status_code == 200
    config = _config(response)
    assert config["site"] == {"id": site.pk, "name": site.name}
    assert config["urls"]["sales"] == "/api/v1/sales/"
    assert config["urls"]["catalogue"] == f"/api/v1/sites/{site.pk}/catalogue/"
    assert config["user"]["canOverride"] is False
    assert config["cardPattern"] == r"^8\d{9}$"


def test_a_manager_may_override_limits_from_the_till(page, manager):
    assert _config(page(manager).get("/caisse/"))["user"]["canOverride"] is True


def test_the_page_loads_no_script_or_style_from_elsewhere(page, volunteer):
    html = page(volunteer).get("/caisse/").content.decode()
    assert "http://" not in html and "https://" not in html


def _household(name, *, site, card=True, **entitlement):
    household = HouseholdFactory(display_name=name)
    EntitlementFactory(household=household, sites=[site], **entitlement)
    return CardFactory(household=household) if card else household


def test_search_by_name_finds_households_with_an_entitlement_here(page, volunteer, site, other_site):
    found = _household("Famille Durand", site=site)
    _household("Famille Durandal", site=other_site)  # another épicerie
    _household("Durand ancien", site=site, status="ended")
    past = timezone.localdate() - datetime.timedelta(days=200)
    _household("Durand expiré", site=site, start=past, end=past + datetime.timedelta(days=89))
    response = page(volunteer).get("/caisse/foyers/", {"q": "duran"})
    assert response.status_code == 200
    assert response.json() == {"results": [{"number": found.number, "display_name": "Famille Durand"}]}


def test_search_needs_two_letters(page, volunteer, site):
    _household("Famille Durand", site=site)
    assert page(volunteer).get("/caisse/foyers/", {"q": "d"}).json() == {"results": []}


def test_search_is_a_constant_number_of_queries(page, volunteer, site, django_assert_max_num_queries):
    for n in range(15):
        _household(f"Famille Petit {n}", site=site)
    client = page(volunteer)
    with django_assert_max_num_queries(6):
        results = client.get("/caisse/foyers/", {"q": "petit"}).json()["results"]
    assert len(results) == 10


def test_search_is_refused_to_partners(page, partner_user):
    assert page(partner_user).get("/caisse/foyers/", {"q": "durand"}).status_code == 403


def test_the_service_worker_may_control_the_till_page(page, volunteer):
    response = page(volunteer).get("/caisse/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/caisse/"
    body = response.content.decode()
    assert '"/static/frontend/till/till.js"' in body and '"/caisse/"' in body


def test_a_site_without_till_says_what_to_do(page, volunteer):
    response = page(volunteer).get("/caisse/")
    assert "Aucune caisse n'est déclarée pour Épicerie du Centre" in response.content.decode()
    assert _config(response)["tills"] == []


def test_the_page_lists_the_tills_with_their_open_session(
    page, volunteer, site, django_assert_max_num_queries
):
    first, second = TillFactory(site=site, name="Caisse 1"), TillFactory(site=site, name="Caisse 2")
    session = open_session(till=second, opened_by=volunteer)
    client = page(volunteer)
    with django_assert_max_num_queries(6):  # session, user, roles, site, tills, open sessions
        tills = _config(client.get("/caisse/"))["tills"]
    assert [(t["id"], t["name"]) for t in tills] == [(first.pk, "Caisse 1"), (second.pk, "Caisse 2")]
    assert tills[0]["open_session"] is None
    assert tills[1]["open_session"]["id"] == session.pk
