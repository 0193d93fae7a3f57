"""Production defaults: DEBUG off unless set, no demo accounts on a production database, security
headers, API docs behind sign-in."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parent.parent


def settings_value(expression: str, **env) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ID_HASH_KEY"}}
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; print({expression})"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "wenjiang_ops.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_debug_is_off_unless_asked_for():
    secrets = {"SECRET_KEY": "s" * 50, "ID_HASH_KEY": "i" * 50}
    assert settings_value("settings.DEBUG", **secrets) == "False"
    assert settings_value("settings.DEBUG", DEBUG="1") == "True"


def test_production_settings_send_hsts_and_the_other_headers():
    value = settings_value(
        "(settings.SECURE_HSTS_SECONDS, settings.SECURE_REFERRER_POLICY, settings.SECURE_CONTENT_TYPE_NOSNIFF,"
        " settings.X_FRAME_OPTIONS)",
        SECRET_KEY="s" * 50,
        ID_HASH_KEY="i" * 50,
    )
    hsts, referrer, nosniff, frames = eval(value)  # a tuple of literals printed by the child
    assert hsts >= 31536000 and referrer == "same-origin" and nosniff is True and frames == "DENY"


@pytest.mark.django_db
def test_seed_demo_refuses_production_without_force(settings, monkeypatch):
    from wenjiang_ops.management.commands import seed_demo

    loaded = []
    monkeypatch.setattr(seed_demo, "seed_demo", lambda log, events=True: loaded.append(events))
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert loaded == []
    call_command("seed_demo", "--force", "--no-events", stdout=open(os.devnull, "w"))
    assert loaded == [False]
    settings.DEBUG = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert loaded == [False, True]


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client, settings):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    # HSTS rides on HTTPS responses only (behind the TLS terminator: X-Forwarded-Proto). A new
    # client: SecurityMiddleware reads its settings when it is made.
    from django.test import Client

    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    production = Client()
    assert "Strict-Transport-Security" not in production.get("/accounts/login/")
    secure = production.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_map_tile_server_is_allowed_for_images():
    from wenjiang_ops.settings import _origin

    assert _origin("http://tiles.intranet:8080/{z}/{x}/{y}.png") == ["http://tiles.intranet:8080"]
    assert _origin("https://{s}.tiles.example/{z}/{x}/{y}.png") == ["https://*.tiles.example"]
    assert _origin("") == []


def test_under_make_run_pages_may_open_sockets_on_the_asgi_port():
    # make run serves pages on :8000 and sockets on :8001 (LIVE_WS_PORT); Chromium accepts ws://*:8001
    # for the socket and still refuses any other port.
    value = settings_value(
        'settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"]', DEBUG="1", LIVE_WS_PORT="8001"
    )
    # …and the media server's HLS (VIDEO_MEDIA_HLS_URL), which the video players fetch.
    assert eval(value) == ["'self'", "ws://*:8001", "wss://*:8001", "http://127.0.0.1:8088"]
    value = settings_value('settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"]', DEBUG="1")
    assert eval(value) == ["'self'", "http://127.0.0.1:8088"]
