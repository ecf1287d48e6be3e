"""Health check, sign-in (with throttling), the API token, the error format, settings helpers."""
import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from grocery.envvars import env_bool, env_int, env_list

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["status"] == "ok"
    assert body["broker"]["status"] == "ok"
    assert body["version"]


def test_login_page_is_french(client):
    response = client.get("/connexion/")
    assert response.status_code == 200
    assert "Se connecter" in response.content.decode()
    assert 'lang="fr"' in response.content.decode()


def test_login_logout_and_home(client, volunteer):
    response = client.post("/connexion/", {"username": "benevole", "password": "motdepasse-demo"})
    assert response.status_code == 302
    home = client.get("/")
    assert "Bénévole" in home.content.decode()
    client.post("/deconnexion/")
    assert client.get("/").status_code == 302


def test_failed_logins_are_throttled(client, volunteer, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post("/connexion/", {"username": "benevole", "password": "faux"})
        assert response.status_code == 200
    # Even the right password is refused while the lock lasts.
    response = client.post("/connexion/", {"username": "benevole", "password": "motdepasse-demo"})
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_change(client, volunteer):
    client.force_login(volunteer)
    response = client.post("/mot-de-passe/", {
        "old_password": "motdepasse-demo",
        "new_password1": "un-nouveau-secret-42",
        "new_password2": "un-nouveau-secret-42",
    })
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.check_password("un-nouveau-secret-42")


def test_api_token_and_me(volunteer):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "benevole", "password": "motdepasse-demo"})
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get("/api/v1/me/").json()
    assert me["roles"] == ["volunteer"]
    assert "till.use" in me["capabilities"]
    assert "household.view_budget" not in me["capabilities"]


def test_api_token_is_throttled(volunteer, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    client = APIClient()
    for _ in range(2):
        bad = client.post("/api/v1/auth/token/", {"username": "benevole", "password": "x"})
        assert bad.status_code == 400
        assert bad.json()["code"] == "invalid"
    locked = client.post("/api/v1/auth/token/", {"username": "benevole", "password": "motdepasse-demo"})
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"


def test_api_errors_have_the_documented_shape(api):
    response = api().get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"code", "detail", "fields"}


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is expected


def test_env_helpers_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_FLAG")
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_list("X_LIST") == ["a", "b", "c"]


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").stat().st_size > 10_000
