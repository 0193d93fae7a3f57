"""Sign-in under attack: lockout per username and address, the client address taken from nginx's
X-Real-IP only, the token endpoint throttled per address, and failures on record for administrators."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from grids.demo.seed import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"


@pytest.fixture(autouse=True)
def fresh_throttle(settings):
    """Throttle counts live in the shared cache: start each test from none, with a rate the
    lockout tests do not reach."""
    settings.SIGN_IN_RATE = "1000/minute"
    cache.delete_many([key for key in [f"throttle_sign_in_{ip}" for ip in _ADDRESSES]])
    yield
    cache.delete_many([f"throttle_sign_in_{ip}" for ip in _ADDRESSES])


_ADDRESSES = ["127.0.0.1", "203.0.113.7", "198.51.100.9", "192.0.2.1", "192.0.2.2"]


def sign_in(username, password, **headers):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json", **headers)


def fail_until_locked(username, **headers):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(username, "wrong", **headers)
    assert response.status_code == 429
    return response


def test_wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(settings):
    settings.TRUST_X_REAL_IP = True
    fail_until_locked("duty", HTTP_X_REAL_IP="203.0.113.7")
    # The attacker's address stays locked, even with the right password ...
    assert sign_in("duty", DEMO_PASSWORD, HTTP_X_REAL_IP="203.0.113.7").status_code == 429
    # ... while the duty officer at her own desk signs in.
    assert sign_in("duty", DEMO_PASSWORD, HTTP_X_REAL_IP="198.51.100.9").status_code == 200


def test_a_client_written_x_forwarded_for_does_not_reset_the_count(settings):
    settings.TRUST_X_REAL_IP = True
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in("duty", "wrong", HTTP_X_REAL_IP="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert response.status_code == 429
    response = sign_in("duty", DEMO_PASSWORD, HTTP_X_REAL_IP="203.0.113.7", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_without_a_trusted_proxy_x_real_ip_is_ignored(settings):
    settings.TRUST_X_REAL_IP = False
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in("duty", "wrong", HTTP_X_REAL_IP=f"192.0.2.{n}")  # forged: REMOTE_ADDR counts
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username="duty").ip_address == "127.0.0.1"


def test_the_lockout_answer_says_when_to_retry():
    response = fail_until_locked("leader")
    assert response.json()["detail"]
    assert int(response["Retry-After"]) == round(settings.AXES_COOLOFF_TIME * 3600)


def test_the_token_endpoint_is_throttled_per_address_with_retry_after(settings):
    settings.TRUST_X_REAL_IP = True
    settings.SIGN_IN_RATE = "3/minute"
    for username in ["a", "b", "c"]:  # a password sprayer: a new username each time
        assert sign_in(username, "x", HTTP_X_REAL_IP="192.0.2.1").status_code == 400
    response = sign_in("d", "x", HTTP_X_REAL_IP="192.0.2.1")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "秒" in response.json()["detail"]
    # A forged X-Forwarded-For is no way round it; another address is not affected.
    assert sign_in("d", "x", HTTP_X_REAL_IP="192.0.2.1", HTTP_X_FORWARDED_FOR="10.1.1.1").status_code == 429
    assert sign_in("duty", DEMO_PASSWORD, HTTP_X_REAL_IP="192.0.2.2").status_code == 200


def test_failed_sign_ins_are_on_record_in_the_admin_without_the_password(client, settings):
    settings.TRUST_X_REAL_IP = True
    secret = "Sup3r-secret-guess"
    sign_in("duty", secret, HTTP_X_REAL_IP="203.0.113.7", HTTP_USER_AGENT="attack-script/1.0")
    client.post("/accounts/login/", {"username": "leader", "password": secret}, HTTP_USER_AGENT="Firefox")
    rows = {(r.username, r.ip_address, r.user_agent) for r in AccessFailureLog.objects.all()}
    assert ("duty", "203.0.113.7", "attack-script/1.0") in rows
    assert ("leader", "127.0.0.1", "Firefox") in rows

    from accounts.models import User

    client.force_login(User.objects.filter(is_superuser=True).first())
    listing = client.get("/admin/axes/accessfailurelog/").content.decode()
    assert "203.0.113.7" in listing and "attack-script/1.0" in listing
    for row in AccessFailureLog.objects.all():
        assert client.get(f"/admin/axes/accessfailurelog/{row.pk}/change/").status_code == 200
        assert secret not in client.get(f"/admin/axes/accessfailurelog/{row.pk}/change/").content.decode()
    for attempt in AccessAttempt.objects.all():
        page = client.get(f"/admin/axes/accessattempt/{attempt.pk}/change/").content.decode()
        assert secret not in page
        assert secret not in attempt.post_data and secret not in attempt.get_data
