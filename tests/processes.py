"""Helpers for the tests that run the platform's own processes (gunicorn, uvicorn, `live_publisher`,
Celery workers, a private redis-server) against the test database, and talk to them over HTTP and
WebSocket as a browser or a phone would."""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Wenjiang@2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings_dict: dict, *, port: int | None = None) -> str:
    host = settings_dict["HOST"] or "127.0.0.1"
    return f"postgis://{settings_dict['USER']}@{host}:{port or settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


def platform_env(**overrides) -> dict:
    """The environment of a platform process on the test database and the tests' channel prefix."""
    from django.db import connection

    from tests.conftest import TEST_CHANNEL_PREFIX

    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "CHANNEL_PREFIX": TEST_CHANNEL_PREFIX,
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def start(args: list[str], env: dict, log: Path | None = None) -> subprocess.Popen:
    """A process of its own group, so that it and its children are ended together."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def end(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_until(predicate, timeout: float = 30, interval: float = 0.1, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in {timeout} s")
        time.sleep(interval)


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def uvicorn(port: int, env: dict, log: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "uvicorn", "wenjiang_ops.asgi:application", "--port", str(port)]
    process = start([*args, "--no-access-log", "--ws-per-message-deflate", "false"], env, log)
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/accounts/login/"), 30, what="uvicorn's start")
    return process


def gunicorn(port: int, env: dict, workers: int = 2, log: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "gunicorn", "wenjiang_ops.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    process = start([*args, "--workers", str(workers), "--timeout", "60"], env, log)
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/accounts/login/"), 30, what="gunicorn's start")
    return process


def live_publisher(env: dict, log: Path | None = None) -> subprocess.Popen:
    return start([sys.executable, "manage.py", "live_publisher"], env, log)


class Browser:
    """A signed-in HTTP session (cookies and the CSRF header, as the pages send them)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def sign_in(self, username: str) -> Browser:
        self.opener.open(f"{self.base}/accounts/login/", timeout=10).read()
        body = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.cookie("csrftoken")}
        ).encode()
        request = urllib.request.Request(f"{self.base}/accounts/login/", data=body, headers={"Referer": self.base})
        self.opener.open(request, timeout=10).read()
        assert self.cookie("sessionid"), f"{username} could not sign in"
        return self

    def request(self, method: str, path: str, body=None, timeout: float = 10) -> tuple[int, dict | str, dict]:
        """(status, JSON body or text, headers); never raises for an HTTP status."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken"), "Referer": self.base}
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers=headers)
        try:
            response = self.opener.open(request, timeout=timeout)
            status, raw, response_headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, raw, response_headers = exc.code, exc.read(), dict(exc.headers)
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text), response_headers
        except ValueError:
            return status, text, response_headers

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def report_body(description: str) -> dict:
    """A report in 航天路社区 (the test database's district)."""
    import uuid

    from events.models import EventCategory
    from grids.models import Grid

    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    return {
        "category": EventCategory.objects.get(code="sa-garbage").pk,
        "description": description,
        "lat": point.y,
        "lng": point.x,
        "client_id": str(uuid.uuid4()),
    }


def redis_server(port: int, log: Path | None = None) -> subprocess.Popen:
    """A private, throw-away Redis (no persistence): the machine's is shared and never stopped."""
    import redis

    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = start(args, os.environ, log)

    def up():
        try:
            return redis.Redis(port=port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    wait_until(up, 15, what="redis-server's start")
    return process


def committed_world(django_db_blocker):
    """For a module fixture: the demo district committed (other processes read it), outside the
    rolled-back test transaction; yields, then removes the events the tests made."""
    from django.db import connection, connections

    from events.clocks import reference_changed
    from tests.events.test_engine import _committed_world
    from wenjiang_ops.demo import assign_calendars

    with django_db_blocker.unblock():
        _committed_world()
        reference_changed()
        yield
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE events_event CASCADE")
        assign_calendars(lambda line: None)
        reference_changed()
        connections.close_all()
