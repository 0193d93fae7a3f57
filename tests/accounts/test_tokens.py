"""API tokens: stored hashed, shown once, expiring, revoked by sign-out, a password change or a
deactivation; the old plaintext table emptied by the migration; the schema tells clients so."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, User
from accounts.services import token_digest, token_issue
from grids.demo.seed import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_throttle(settings):
    settings.SIGN_IN_RATE = "1000/minute"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_only_the_digest_is_stored_and_the_key_is_shown_once():
    response = APIClient().post(
        "/api/auth/token/", {"username": "duty", "password": DEMO_PASSWORD}, format="json", HTTP_USER_AGENT="App/2"
    )
    assert response.status_code == 200
    key = response.json()["token"]
    assert response.json()["expires_in"] == 7 * 24 * 3600
    token = ApiToken.objects.get(user__username="duty")
    assert token.digest == token_digest(key) != key
    assert token.client == "App/2"
    with connection.cursor() as cursor:  # the key appears nowhere in the table
        cursor.execute(f"SELECT count(*) FROM {ApiToken._meta.db_table} WHERE digest = %s OR client = %s", [key, key])
        assert cursor.fetchone()[0] == 0
    assert client_with(key).get("/api/me/").json()["username"] == "duty"
    # A second sign-in (another phone) gets its own key; the first one still works.
    second = APIClient().post("/api/auth/token/", {"username": "duty", "password": DEMO_PASSWORD}, format="json")
    assert second.json()["token"] != key
    assert client_with(key).get("/api/me/").status_code == 200


def test_the_digest_itself_is_not_a_key():
    key = token_issue(user=User.objects.get(username="duty"))
    assert client_with(token_digest(key)).get("/api/me/").status_code == 401


def test_an_expired_token_is_refused_in_the_same_single_statement():
    duty = User.objects.get(username="duty")
    key = token_issue(user=duty)
    client = client_with(key)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/me/").status_code == 200
    authentication = [q for q in queries.captured_queries if "accounts_apitoken" in q["sql"]]
    assert len(authentication) == 1  # the hot path stays one statement
    ApiToken.objects.filter(digest=token_digest(key)).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_the_lifetime_is_fixed_however_much_the_token_is_used(settings):
    settings.API_TOKEN_LIFETIME_HOURS = 2
    key = token_issue(user=User.objects.get(username="duty"))
    expires = ApiToken.objects.get(digest=token_digest(key)).expires_at
    assert timedelta(hours=1, minutes=59) < expires - timezone.now() <= timedelta(hours=2)
    for _ in range(3):
        client_with(key).get("/api/me/")
    assert ApiToken.objects.get(digest=token_digest(key)).expires_at == expires


def test_sign_out_revokes_the_presented_token_only():
    duty = User.objects.get(username="duty")
    phone, laptop = token_issue(user=duty), token_issue(user=duty)
    response = client_with(phone).post("/api/auth/logout/", {}, format="json")
    assert response.status_code == 200 and response.json() == {"revoked": 1}
    assert client_with(phone).get("/api/me/").status_code == 401
    assert client_with(laptop).get("/api/me/").status_code == 200


def test_sign_out_everywhere_revokes_every_token():
    duty = User.objects.get(username="duty")
    phone, laptop = token_issue(user=duty), token_issue(user=duty)
    response = client_with(phone).post("/api/auth/logout/", {"all": True}, format="json")
    assert response.json() == {"revoked": 2}
    assert client_with(laptop).get("/api/me/").status_code == 401


def test_sign_out_without_credentials_is_401():
    assert APIClient().post("/api/auth/logout/", {}, format="json").status_code == 401


def test_a_session_signs_out_over_the_api(client):
    client.force_login(User.objects.get(username="duty"))
    assert client.post("/api/auth/logout/", {}, content_type="application/json").status_code == 200
    assert client.get("/api/me/").status_code == 401


def test_a_password_change_revokes_every_token_of_the_user_only():
    duty, leader = User.objects.get(username="duty"), User.objects.get(username="leader")
    key, other = token_issue(user=duty), token_issue(user=leader)
    duty.set_password("A-new-passw0rd!")
    duty.save()
    assert client_with(key).get("/api/me/").status_code == 401
    assert client_with(other).get("/api/me/").status_code == 200


def test_a_deactivation_revokes_every_token_even_if_reactivated():
    duty = User.objects.get(username="duty")
    key = token_issue(user=duty)
    duty.is_active = False
    duty.save(update_fields=["is_active"])
    assert not ApiToken.objects.filter(user=duty).exists()
    duty.is_active = True
    duty.save()
    assert client_with(key).get("/api/me/").status_code == 401


def test_a_sign_in_stamp_revokes_nothing_and_reads_nothing():
    duty = User.objects.get(username="duty")
    key = token_issue(user=duty)
    duty.last_login = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        duty.save(update_fields=["last_login"])
    assert len(queries) == 1
    assert client_with(key).get("/api/me/").status_code == 200


def test_the_migration_empties_the_old_plaintext_table():
    from importlib import import_module

    migration = import_module("accounts.migrations.0005_api_tokens_hashed")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', 1)")
        migration.invalidate_plaintext_tokens(None, connection.schema_editor())
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0


def test_the_schema_describes_the_token_endpoints():
    client = APIClient()
    client.force_authenticate(User.objects.get(username="duty"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    token = schema["paths"]["/api/auth/token/"]["post"]
    assert {"200", "400", "403", "429"} <= set(token["responses"])
    assert "expires_in" in schema["components"]["schemas"]["TokenResponse"]["properties"]
    logout = schema["paths"]["/api/auth/logout/"]["post"]
    assert {"200", "401"} <= set(logout["responses"])
    ticket = schema["paths"]["/api/auth/socket-ticket/"]["post"]
    assert {"201", "401"} <= set(ticket["responses"])


def test_a_session_signing_out_everywhere_revokes_the_tokens_too(client):
    duty = User.objects.get(username="duty")
    key = token_issue(user=duty)
    client.force_login(duty)
    response = client.post("/api/auth/logout/", {"all": True}, content_type="application/json")
    assert response.json() == {"revoked": 1}
    assert client_with(key).get("/api/me/").status_code == 401
    assert client.get("/api/me/").status_code == 401
