"""The 12345 hotline's hand-off: signed work orders in (refusals by field, replays, resends), callbacks
out through the outbox with the hotline down and back (a real local HTTP server), every attempt
logged, and the satisfaction callback counted in the statistics."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from events.models import Event
from events.selectors import Period, stats_summary
from interop import hotline, signing
from interop.models import HotlineAttempt, HotlineCallback, HotlineOrder

pytestmark = pytest.mark.django_db
SECRET = "test-hotline-secret"


@pytest.fixture(autouse=True)
def hotline_settings(settings):
    settings.HOTLINE_SECRET = SECRET
    settings.HOTLINE_CALLBACK_URL = ""
    return settings


def signed_post(client, path, payload, *, secret=SECRET, timestamp=None, raw=None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    headers = signing.sign(secret, body, timestamp)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return client.post(path, body, content_type="application/json", **meta)


@pytest.fixture
def order(hangtianlu_point):
    def make(number="12345-0001", **overrides):
        payload = {
            "order_no": number,
            "category": "sa-garbage",
            "content": "市民来电：航天路88号垃圾堆放多日",
            "lat": hangtianlu_point.y,
            "lng": hangtianlu_point.x,
            "address": "航天路88号",
            "caller": {"name": "张先生", "phone": "13800000000"},
        }
        payload.update(overrides)
        return payload

    return make


# --- work orders in ------------------------------------------------------------------------------------------


def test_a_work_order_becomes_a_hotline_event_once(client, order):
    response = signed_post(client, "/api/hotline/orders/", order())
    assert response.status_code == 201, response.content
    body = response.json()
    event = Event.objects.get(pk=body["event_id"])
    assert event.source == "hotline" and event.hotline_order.number == "12345-0001"
    assert body["event_number"] == event.number and body["state"] == "reported"
    assert event.reporter.username == "hotline12345" and not event.reporter.has_usable_password()
    assert not event.reporter.is_active  # a system account: it never signs in, no one urges it
    again = signed_post(client, "/api/hotline/orders/", order(content="重发"))
    assert again.status_code == 200 and again.json()["event_id"] == event.pk  # the hotline resends: one event
    assert Event.objects.filter(source="hotline").count() == 1


def test_a_second_order_of_the_same_problem_names_the_first(client, order):
    first = signed_post(client, "/api/hotline/orders/", order()).json()
    second = signed_post(
        client, "/api/hotline/orders/", order("12345-0002", content="航天路88号垃圾堆放好几天了")
    ).json()
    assert second["possible_duplicates"] == [first["event_number"]]


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("unsigned", "Unsigned"),
        ("forged", "Bad signature"),
        ("stale", "Stale"),
        ("future", "Stale"),
        ("tampered", "Bad signature"),
    ],
)
def test_unsigned_stale_or_forged_requests_are_refused_401(client, order, how, message):
    body = json.dumps(order()).encode()
    if how == "unsigned":
        response = client.post("/api/hotline/orders/", body, content_type="application/json")
    elif how == "forged":
        response = signed_post(client, "/api/hotline/orders/", None, raw=body, secret="guessed")
    elif how in ("stale", "future"):
        skew = -400 if how == "stale" else 400
        response = signed_post(client, "/api/hotline/orders/", None, raw=body, timestamp=int(time.time()) + skew)
    else:  # signed, then changed on the way
        headers = signing.sign(SECRET, body)
        meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        response = client.post(
            "/api/hotline/orders/", body.replace(b"0001", b"0009"), content_type="application/json", **meta
        )
    assert response.status_code == 401 and message in response.json()["detail"]
    assert not HotlineOrder.objects.exists()


def test_a_bad_work_order_is_refused_by_field_and_writes_nothing(client, order):
    response = signed_post(client, "/api/hotline/orders/", order(category="nope", lat="north", urgent="yes"))
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"category", "lat", "urgent"}
    response = signed_post(client, "/api/hotline/orders/", None, raw=b"not json")
    assert response.status_code == 400 and "body" in response.json()["errors"]
    outside = signed_post(client, "/api/hotline/orders/", order(lat=10.0, lng=10.0))
    assert outside.status_code == 400 and "location" in outside.json()["errors"]
    assert not Event.objects.exists() and not HotlineOrder.objects.exists()


# --- callbacks out ----------------------------------------------------------------------------------------------


class Hotline:
    """The hotline's callback receiver, on a real local port: refusing (503) or taking (200) them."""

    def __init__(self):
        self.received, self.up = [], False
        hotline_ = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signing.verify(
                    SECRET, body, self.headers[signing.TIMESTAMP_HEADER], self.headers[signing.SIGNATURE_HEADER]
                )
                if not hotline_.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                hotline_.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/callbacks/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    hotline_ = Hotline()
    yield hotline_
    hotline_.close()


@pytest.fixture
def hotline_event(client, order):
    body = signed_post(client, "/api/hotline/orders/", order()).json()
    return Event.objects.get(pk=body["event_id"])


def close(event, act, dept):
    act(event, "hangtianlu", "accept")
    act(event, "hangtianlu", "dispatch", lead_department=dept("urban-management").pk)
    act(event, "chengguan", "sign")
    act(event, "chengguan", "handle", reason="已清运")
    return act(event, "hangtianlu", "verify_pass")


def test_the_steps_owe_callbacks_once_each(hotline_event, act, dept, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("interop.tasks.hotline_deliver_task.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        close(hotline_event, act, dept)
    kinds = list(HotlineCallback.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["accepted", "replied", "closed"]
    assert queued == list(HotlineCallback.objects.order_by("id").values_list("pk", flat=True))
    assert hotline.hotline_sweep()["made"] == 0  # the periodic pass finds nothing missed


def test_the_periodic_pass_makes_a_missed_callback(hotline_event, act):
    act(hotline_event, "hangtianlu", "accept")  # its on-commit receiver never ran (a crash, say)
    assert not HotlineCallback.objects.exists()
    assert hotline.hotline_sweep()["made"] == 1
    assert HotlineCallback.objects.get().kind == "accepted"


def test_callbacks_wait_while_the_hotline_is_down_and_arrive_once_it_is_back(
    hotline_event, act, dept, receiver, settings
):
    closed = close(hotline_event, act, dept)
    hotline.hotline_sweep()  # makes the three callbacks; no URL yet: kept, nothing sent
    assert HotlineCallback.objects.filter(delivered_at__isnull=True).count() == 3
    assert not HotlineAttempt.objects.exists()

    # Down: nothing listens on the port.
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        dead_port = free.getsockname()[1]
    settings.HOTLINE_CALLBACK_URL = f"http://127.0.0.1:{dead_port}/callbacks/"
    now = timezone.now()
    assert hotline.hotline_sweep(now=now)["delivered"] == 0
    assert HotlineAttempt.objects.filter(status_code__isnull=True).count() == 3  # every attempt logged

    # Up, but refusing (503): each is tried again only after its backoff.
    settings.HOTLINE_CALLBACK_URL = receiver.url
    assert hotline.hotline_sweep(now=now + timedelta(seconds=10))["tried"] == 0  # not due yet (30 s)
    assert hotline.hotline_sweep(now=now + timedelta(seconds=31))["delivered"] == 0
    assert HotlineAttempt.objects.filter(status_code=503).count() == 3
    callback = HotlineCallback.objects.first()
    assert callback.attempts == 2 and callback.next_attempt_at == now + timedelta(seconds=31 + 60)

    # Back: all delivered, in order, once.
    receiver.up = True
    assert hotline.hotline_sweep(now=now + timedelta(seconds=100))["delivered"] == 3
    assert [r["kind"] for r in receiver.received] == ["accepted", "replied", "closed"]
    assert receiver.received[-1]["result"] == "closed" and receiver.received[-1]["event_number"] == closed.number
    assert receiver.received[1]["text"] == "已清运"
    assert hotline.hotline_sweep(now=now + timedelta(hours=2))["tried"] == 0
    assert len(receiver.received) == 3
    assert HotlineAttempt.objects.count() == 9


def test_backoff_grows_to_an_hour():
    assert [hotline.backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


# --- satisfaction in ---------------------------------------------------------------------------------------------


def test_the_hotline_rating_is_stored_and_counts_in_the_statistics(client, hotline_event, act, dept):
    premature = signed_post(client, "/api/hotline/satisfaction/", {"order_no": "12345-0001", "rating": "satisfied"})
    assert premature.status_code == 409
    close(hotline_event, act, dept)
    period = Period(timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1))
    events = Event.objects.filter(pk=hotline_event.pk)
    assert stats_summary(events, period)["totals"]["rated"] == 0
    response = signed_post(
        client, "/api/hotline/satisfaction/", {"order_no": "12345-0001", "rating": "dissatisfied", "comment": "太慢"}
    )
    assert response.status_code == 200 and response.json()["satisfied"] is False
    totals = stats_summary(events, period)["totals"]
    assert totals["rated"] == 1 and totals["satisfied"] == 0 and totals["satisfaction_rate"] == 0
    signed_post(client, "/api/hotline/satisfaction/", {"order_no": "12345-0001", "rating": "basically_satisfied"})
    assert stats_summary(events, period)["totals"]["satisfaction_rate"] == 1.0
    order = HotlineOrder.objects.get()
    assert order.rating == "basically_satisfied" and order.rated_at
    rows = hotline_event.actions.filter(action="rate").order_by("id")
    assert [r.data["satisfied"] for r in rows] == [False, True] and rows[0].reason == "太慢"


def test_a_bad_rating_is_refused(client, hotline_event):
    assert (
        signed_post(client, "/api/hotline/satisfaction/", {"order_no": "12345-0001", "rating": "5"}).status_code == 400
    )
    assert (
        signed_post(client, "/api/hotline/satisfaction/", {"order_no": "nope", "rating": "satisfied"}).status_code
        == 404
    )
    unsigned = client.post("/api/hotline/satisfaction/", b"{}", content_type="application/json")
    assert unsigned.status_code == 401


# --- the Celery entry points and the simulator -------------------------------------------------------------------


def test_the_tasks_are_registered_and_the_sweep_is_scheduled(settings):
    from wenjiang_ops.celery import app

    assert {"interop.hotline_deliver", "interop.hotline_sweep"} <= set(app.tasks)
    assert settings.CELERY_BEAT_SCHEDULE["hotline-callbacks"]["task"] == "interop.hotline_sweep"


def test_the_deliver_task_delivers(hotline_event, act, receiver, settings):
    from interop.tasks import hotline_deliver_task

    act(hotline_event, "hangtianlu", "accept")
    [callback_id] = hotline.callbacks_make(list(hotline_event.actions.values_list("pk", flat=True)))
    settings.HOTLINE_CALLBACK_URL = receiver.url
    receiver.up = True
    hotline_deliver_task.apply(args=[callback_id])
    assert HotlineCallback.objects.get(pk=callback_id).delivered_at is not None
    assert [r["kind"] for r in receiver.received] == ["accepted"]


@pytest.mark.django_db(transaction=True)
def test_the_simulator_sends_a_signed_work_order(live_server, settings):
    import socket

    from django.core.management import call_command

    from tests.events.test_engine import _committed_world

    _committed_world()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    call_command(
        "hotline_simulator", url=live_server.url, port=port, count=1, first_after=0, stdout=__import__("io").StringIO()
    )
    order = HotlineOrder.objects.select_related("event").get()
    assert order.event.source == "hotline" and order.number.startswith("12345-")


def test_the_hotline_account_is_never_urged_at_its_center(client, order):
    """The account stands at the district's center as its staff (its events are taken in like any
    report), but inactive: the engine's urges and cards for that center pass it by."""
    from events.services import who_hears

    signed_post(client, "/api/hotline/orders/", order())
    account = hotline.hotline_account()
    assert account.center.parent_id is None and not account.is_active
    for kind in ("urge", "red_card"):
        heard = who_hears(kind, center=account.center_id, phase="accept", departments=[])
        assert heard and account.pk not in heard
