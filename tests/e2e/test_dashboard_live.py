"""End to end in a real browser (Debian's Chromium, driven by Playwright): a grid worker reports from a
phone-sized page and the duty officer's dashboard, open at desktop size in another browser context,
shows it at once, without a reload; an officer of another town does not get it; an escalation moves
it; after the server restarts the page reconnects and catches up.

The server is uvicorn (HTTP and WebSockets) on the test database, with pushes from its own publisher
thread; the test process pushes its own steps (the sweep, a report while the server is down) onto the
same Redis channels.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone, translation

from tests.conftest import TEST_CHANNEL_PREFIX

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Wenjiang@2026"
WAIT_MS = 15_000
UVICORN = ["--no-access-log", "--ws-per-message-deflate", "false"]  # as in the Procfile
OTHER_SESSIONS = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn on the test database, as `make run` starts the ASGI side."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CHANNEL_PREFIX": TEST_CHANNEL_PREFIX,
            "LIVE_PUSH": "thread",
            "DEBUG": "1",
            "LOG_LEVEL": "WARNING",
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "wenjiang_ops.asgi:application", "--port", str(self.port), *UVICORN],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("uvicorn did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None
        # Its database sessions end a moment after it does; the test database is dropped after the run.
        with connection.cursor() as cursor:
            for _ in range(50):
                cursor.execute(OTHER_SESSIONS)
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.1)


@pytest.fixture
def server(settings):
    from tests.events.test_engine import _committed_world

    _committed_world()  # the district, committed: the server reads it from its own connections
    settings.LIVE_PUSH = "sync"  # this process's own steps go out at their commit
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in this thread
    server = Server()
    server.start()
    yield server
    server.stop()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def sign_in(browser, server, username, **context_options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # the role's landing page (volunteers: /force/me/)
    return page


def open_dashboard(browser, server, username):
    page = sign_in(browser, server, username, viewport={"width": 1440, "height": 900})
    page.goto(f"{server.url}/dashboard/")
    page.wait_for_function("() => window.dashboard && window.dashboard.state === 'live'", timeout=WAIT_MS)
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads
    return page


def tile(page, period: str, figure: str) -> int:
    return int(page.inner_text(f"#tile-{period}-{figure} .stat-n").replace(",", ""))


def report_from_here(description: str, category_id: int):
    """An event reported in 航天路社区 by the grid worker, from the test process (not the browser)."""
    from accounts.models import User
    from events.services import event_report
    from grids.models import Grid

    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    reporter = User.objects.get(username="gridworker")
    event, _ = event_report(
        reporter=reporter,
        category_id=category_id,
        description=description,
        lat=point.y,
        lng=point.x,
        client_id=uuid.uuid4(),
    )
    return event


def wait_for_row(page, event_id: int) -> None:
    page.wait_for_selector(f'#feed li[data-event-id="{event_id}"]', timeout=WAIT_MS)


def test_a_report_from_a_phone_reaches_the_district_dashboard_live_and_no_other_town(server, browser):
    from events.choices import Action
    from events.engine import sweep
    from events.models import Event
    from grids.models import Grid

    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface  # in 航天路社区

    duty = open_dashboard(browser, server, "duty")
    other_town = open_dashboard(browser, server, "yongning")
    reported_before = tile(duty, "today", "reported")
    other_before = tile(other_town, "today", "reported")

    # The grid worker, on a phone, with GPS
    phone = sign_in(
        browser,
        server,
        "gridworker",
        viewport={"width": 375, "height": 812},
        geolocation={"latitude": point.y, "longitude": point.x, "accuracy": 20},
        permissions=["geolocation"],
        has_touch=True,
    )
    phone.goto(f"{server.url}/events/report/")
    phone.wait_for_function("() => document.getElementById('id_lat').value !== ''", timeout=WAIT_MS)
    phone.fill("#category-filter", "垃圾")
    phone.select_option("#id_category", label="垃圾乱堆乱放")
    phone.fill("#id_description", "航天路口垃圾堆放，端到端测试。")
    phone.click("#report-submit")
    phone.wait_for_selector("#report-done:not([hidden])", timeout=WAIT_MS)
    event = Event.objects.order_by("-id").first()
    assert event.description == "航天路口垃圾堆放，端到端测试。"

    # … on the district's dashboard at once, figures moving, without a reload
    wait_for_row(duty, event.pk)
    assert duty.inner_text(f'#feed li[data-event-id="{event.pk}"] .feed-text').startswith("航天路口垃圾堆放")
    duty.wait_for_function(
        f"() => Number(document.querySelector('#tile-today-reported .stat-n').textContent) === {reported_before + 1}",
        timeout=WAIT_MS,
    )
    assert duty.evaluate("window.loadedOnce") is True

    # … and not on another town's
    other_town.wait_for_timeout(2000)
    assert event.pk not in other_town.evaluate("window.dashboard.feedIds()")
    assert tile(other_town, "today", "reported") == other_before

    # Not handled in time: the sweep escalates it to the town, and the dashboard shows the step
    result = sweep(now=timezone.now() + timedelta(days=30))
    assert result.escalations >= 1
    with translation.override("zh-hans"):
        escalated = str(Action.ESCALATE.label)
    duty.wait_for_function(
        f"""() => {{
            const row = document.querySelector('#feed li[data-event-id="{event.pk}"] .feed-action');
            return row && row.textContent === {escalated!r};
        }}""",
        timeout=WAIT_MS,
    )
    assert duty.evaluate("window.dashboard.feedIds()[0]") == event.pk

    # The server goes down; an event comes in meanwhile; the page reconnects and catches up
    server.stop()
    duty.wait_for_function("() => window.dashboard.state !== 'live'", timeout=WAIT_MS)
    missed = report_from_here("服务器重启期间上报的事件", event.category_id)
    server.start()  # the same port: the page's reconnect finds it
    duty.wait_for_function("() => window.dashboard.state === 'live'", timeout=30_000)
    wait_for_row(duty, missed.pk)
    assert duty.evaluate("window.loadedOnce") is True


def test_a_department_clerk_at_the_ticket_queue_hears_the_engines_urge_without_a_reload(server, browser):
    """The pages without a dashboard keep a socket to the user's own group: the "消息" badge moves and
    the message shows, on a phone-sized page too."""
    from accounts.models import User
    from events.engine import sweep
    from events.models import EventCategory
    from events.services import event_transition
    from grids.models import Department

    event = report_from_here("端到端：派给公安的事件", EventCategory.objects.get(code="sa-garbage").pk)
    community = User.objects.get(username="hangtianlu")
    event_transition(event_id=event.pk, action="accept", actor=community)
    police = Department.objects.get(code="police")
    event = event_transition(event_id=event.pk, action="dispatch", actor=community, lead_department=police.pk)

    clerk = sign_in(browser, server, "police", viewport={"width": 375, "height": 812}, has_touch=True)
    clerk.goto(f"{server.url}/events/")
    clerk.evaluate("window.loadedOnce = true")
    unread = clerk.evaluate(
        "Number((document.querySelector('[data-inbox-link] .badge') || {textContent: '0'}).textContent)"
    )
    clerk.wait_for_timeout(500)  # the socket says hello

    assert sweep(now=event.warn_at + timedelta(seconds=1)).warnings >= 1
    clerk.wait_for_function(
        "() => Number((document.querySelector('[data-inbox-link] .badge') || {textContent: '0'}).textContent)"
        f" > {unread}",
        timeout=WAIT_MS,
    )
    clerk.wait_for_selector(".toast:not([hidden])", timeout=WAIT_MS)
    assert event.number in clerk.inner_text(".toast")
    assert clerk.evaluate("document.querySelector('.nav-toggle-label').hasAttribute('data-unread')")  # menu closed
    assert clerk.evaluate("window.loadedOnce") is True

    # A new ticket dispatched to the police while the clerk looks at the queue: told at once.
    second = report_from_here("端到端：第二张工单", event.category_id)
    event_transition(event_id=second.pk, action="accept", actor=community)
    event_transition(event_id=second.pk, action="dispatch", actor=community, lead_department=police.pk)
    clerk.wait_for_function(
        "() => document.querySelector('.toast')"
        f" && document.querySelector('.toast').textContent.includes({second.number!r})",
        timeout=WAIT_MS,
    )
    assert clerk.inner_text(".toast").startswith("新工单")
    assert clerk.evaluate("window.loadedOnce") is True
    # The queue offers to refresh, and then lists the new ticket.
    clerk.wait_for_selector("#list-stale:not([hidden])", timeout=WAIT_MS)
    assert second.number not in clerk.inner_text(".queue-table")
    clerk.click("#list-stale a")
    clerk.wait_for_selector(f".queue-table :text('{second.number}')", timeout=WAIT_MS)
