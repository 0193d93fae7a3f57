"""Signing in: sessions, API tokens, /api/me/, and lockout after repeated failures."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from grids.demo.seed import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_token_then_me():
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "liucheng", "password": DEMO_PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/me/").json()
    assert me["username"] == "liucheng"
    assert me["role"] == "center_staff"
    assert me["center"]["name"] == "柳城街道"
    assert me["center"]["level"] == "town"
    assert me["department"] is None


def test_me_shows_the_department_of_department_staff(api):
    me = api.as_user("police").get("/api/me/").json()
    assert me["department"]["name"] == "温江区公安分局"


def test_a_wrong_password_gets_400_with_a_message():
    response = APIClient().post("/api/auth/token/", {"username": "duty", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_missing_fields_get_field_errors():
    response = APIClient().post("/api/auth/token/", {"username": "duty"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_repeated_wrong_passwords_lock_the_api_login():
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/api/auth/token/", {"username": "duty", "password": "wrong"}, format="json")
        assert response.status_code == 400
    response = client.post("/api/auth/token/", {"username": "duty", "password": "wrong"}, format="json")
    assert response.status_code == 429
    # Locked: even the right password is refused now, with a message saying why.
    response = client.post("/api/auth/token/", {"username": "duty", "password": DEMO_PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["detail"]
    # Other accounts are not affected.
    response = client.post("/api/auth/token/", {"username": "leader", "password": DEMO_PASSWORD}, format="json")
    assert response.status_code == 200


def test_repeated_wrong_passwords_lock_the_login_page(client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", {"username": "liucheng", "password": "wrong"})
    assert response.status_code == 429
    response = client.post("/accounts/login/", {"username": "liucheng", "password": DEMO_PASSWORD})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_session_login_and_logout(client):
    response = client.post("/accounts/login/", {"username": "hangtianlu", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/api/me/").json()["username"] == "hangtianlu"
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/api/me/").status_code == 401


def test_a_wrong_password_on_the_login_page_is_a_form_error(client):
    response = client.post("/accounts/login/", {"username": "hangtianlu", "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
