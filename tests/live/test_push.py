"""The dashboards' WebSocket on the real Redis pub/sub layer: who may connect, who hears what, the
shape and numbering of the messages, the figures, and pushes from sync code."""

import json

import msgpack
import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from accounts.models import User
from events.choices import Action
from inbox.models import Notification
from wenjiang_ops.live import groups
from wenjiang_ops.live.publish import Publisher, _Job, encode, publisher, redis_client

from .conftest import Socket, WebsocketCommunicator, settle

pytestmark = pytest.mark.usefixtures("live")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs `fn` and then what it left for after its commit (the pushes), as a real commit would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return sync_to_async(run)


def user(username):
    return User.objects.select_related("center", "department").get(username=username)


def test_the_numbering_script_speaks_the_layers_wire_format(run_async):
    """A message published by the script arrives through the layer as a group_send would deliver it."""

    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("center.990001", channel)
        await settle()
        before = groups.current_seq("center.990001")
        script = redis_client().register_script(groups.PUBLISH_SCRIPT)
        key, pubsub = groups.seq_key("center.990001"), groups.group_channel("center.990001")
        seq = await sync_to_async(script)(keys=[key, pubsub], args=[encode("event", {"name": "航天路", "n": None})])
        received = await layer.receive(channel)
        await layer.group_send("center.990001", {"type": "live.push", "kind": "x", "data": "{}", "seq": 7})
        direct = await layer.receive(channel)
        return before, seq, received, direct

    before, seq, received, direct = run_async(scenario)
    assert seq == before + 1
    assert received == {"type": "live.push", "kind": "event", "seq": seq, "data": '{"name":"航天路","n":null}'}
    assert direct["seq"] == 7 and direct["type"] == "live.push"


def test_a_socket_without_a_signed_in_user_is_closed(run_async):
    from django.contrib.auth.models import AnonymousUser

    async def scenario():
        socket = Socket(AnonymousUser())
        first = await socket.open()
        closed = await socket.communicator.receive_output(timeout=2)
        return first, closed

    first, closed = run_async(scenario)
    assert first == {"type": "error", "seq": None, "data": {"reason": "请重新登录。"}}
    assert closed == {"type": "websocket.close", "code": 4401}


@pytest.mark.parametrize("username", ["gridworker", "volunteer"])
def test_roles_without_a_dashboard_are_refused(run_async, username):
    async def scenario():
        socket = Socket(await sync_to_async(user)(username))
        first = await socket.open()
        return first, await socket.communicator.receive_output(timeout=2)

    first, closed = run_async(scenario)
    assert first["type"] == "error" and first["data"]["reason"].startswith("指挥大屏仅供")
    assert closed["code"] == 4403


def test_a_center_outside_the_users_subtree_is_refused(run_async):
    async def scenario():
        yongning = await sync_to_async(user)("yongning")
        socket = Socket(yongning, "?center=2")  # 柳城街道, another town
        first = await socket.open()
        return first, await socket.communicator.receive_output(timeout=2)

    first, closed = run_async(scenario)
    assert first["type"] == "error" and closed["code"] == 4403


def test_a_new_event_reaches_its_community_town_and_district_and_no_one_else(run_async, report, committed):
    async def scenario():
        sockets = {
            name: Socket(await sync_to_async(user)(name)) for name in ("duty", "liucheng", "hangtianlu", "yongning")
        }
        hello = {name: await s.open() for name, s in sockets.items()}
        await settle()
        event = await committed(report)
        got = {name: await s.next() for name, s in sockets.items() if name != "yongning"}
        quiet = await sockets["yongning"].nothing()
        for s in sockets.values():
            await s.close()
        return hello, event, got, quiet

    hello, event, got, quiet = run_async(scenario)
    assert quiet, "an officer of another town must not hear of it"
    for name, message in got.items():
        assert set(message) == {"type", "seq", "data"}
        assert message["type"] == "event"
        assert message["seq"] == hello[name]["seq"] + 1, name
        data = message["data"]
        assert data["id"] == event.pk and data["action"] == Action.REPORT
        assert data["light"] == "green" and data["open"] is True
        assert data["excerpt"].startswith("路边垃圾") and data["place"]
    assert hello["duty"]["data"]["stream"] == "center.1"


def test_numbers_follow_each_other_and_a_change_is_pushed_again(run_async, report, act, committed):
    async def scenario():
        socket = Socket(await sync_to_async(user)("liucheng"))
        hello = await socket.open()
        await settle()
        event = await committed(report)
        first = await socket.next()
        await committed(act, event, "hangtianlu", "accept")
        second = await socket.next()
        await socket.close()
        return hello, first, second

    hello, first, second = run_async(scenario)
    assert [first["seq"], second["seq"]] == [hello["seq"] + 1, hello["seq"] + 2]
    assert second["data"]["state"] == "accepted" and second["data"]["action"] == "accept"


def test_department_staff_hear_only_their_departments_tickets(run_async, report, act, dept, committed):
    async def scenario():
        police = Socket(await sync_to_async(user)("police"))
        chengguan = Socket(await sync_to_async(user)("chengguan"))
        hello = await police.open()
        await chengguan.open()
        await settle()
        event = await committed(report)
        assert await police.nothing(), "a report is not yet a ticket of the police"
        await committed(act, event, "hangtianlu", "accept")
        police_id = await sync_to_async(lambda: dept("police").pk)()
        await committed(act, event, "hangtianlu", "dispatch", lead_department=police_id)
        ticket = await police.next()
        told = await police.next()  # the new ticket's inbox message, to the clerk's own group
        quiet = await chengguan.nothing()
        await police.close()
        await chengguan.close()
        return hello, ticket, told, quiet

    hello, ticket, told, quiet = run_async(scenario)
    assert hello["data"]["stream"].startswith("department.")
    assert ticket["type"] == "event" and ticket["data"]["state"] == "dispatched"
    assert told["type"] == "notification" and told["data"]["kind"] == "ticket"
    assert quiet


def test_an_inbox_message_reaches_its_user_with_the_unread_count(run_async):
    async def scenario():
        duty = await sync_to_async(user)("duty")
        socket = Socket(duty)
        leader = Socket(await sync_to_async(user)("leader"))
        await socket.open()
        await leader.open()
        await settle()

        def notify():
            n = Notification.objects.create(user=duty, kind="escalated", message="事件已上报至温江区")
            publisher.submit(_Job("notifications", [n]))
            return n, Notification.objects.filter(user=duty, read_at__isnull=True).count()

        n, unread = await sync_to_async(notify)()
        message = await socket.next()
        quiet = await leader.nothing()
        await socket.close()
        await leader.close()
        return n, unread, message, quiet

    n, unread, message, quiet = run_async(scenario)
    assert message["type"] == "notification"
    assert message["data"] == {
        "id": n.pk,
        "kind": "escalated",
        "message": "事件已上报至温江区",
        "event_id": None,
        "url": None,
        "unread": unread,
    }
    assert quiet, "someone else's inbox stays theirs"


def test_the_escalation_engine_pushes_its_steps_and_the_town_sees_the_event_arrive(run_async, report, act, committed):
    from datetime import timedelta

    from django.utils import timezone

    from events.engine import sweep

    async def scenario():
        town = Socket(await sync_to_async(user)("liucheng"))
        await town.open()
        await settle()
        event = await committed(report)
        await town.next()
        later = timezone.now() + timedelta(days=30)
        result = await committed(lambda: sweep(now=later))
        steps = []
        while not await town.nothing(0.3):
            steps.append(await town.next())
        await town.close()
        return event, result, steps

    event, result, steps = run_async(scenario)
    assert result.escalations >= 1
    mine = [s["data"] for s in steps if s["type"] == "event" and s["data"]["id"] == event.pk]
    assert mine, "the sweep's step must reach the town's dashboard"
    assert mine[-1]["level"] == "town" and mine[-1]["escalations"] >= 1


def test_ping_is_answered(run_async):
    async def scenario():
        socket = Socket(await sync_to_async(user)("duty"))
        await socket.open()
        await socket.communicator.send_to(text_data='{"type":"ping"}')
        pong = await socket.next()
        await socket.communicator.send_to(text_data="not json")
        quiet = await socket.nothing()
        await socket.close()
        return pong, quiet

    pong, quiet = run_async(scenario)
    assert pong == {"type": "pong", "seq": None, "data": None}
    assert quiet


def test_a_ticket_signs_in_a_socket_through_the_whole_asgi_stack(run_async):
    from accounts.services import socket_ticket_issue
    from wenjiang_ops.asgi import application

    async def scenario():
        ticket = await sync_to_async(lambda: socket_ticket_issue(user=user("liucheng")))()
        communicator = WebsocketCommunicator(
            application, f"/ws/dashboard/?ticket={ticket}", headers=[(b"origin", b"http://localhost")]
        )
        connected, _ = await communicator.connect()
        hello = json.loads(await communicator.receive_from())
        await communicator.disconnect()
        return connected, hello

    connected, hello = run_async(scenario)
    assert connected and hello["type"] == "hello"
    assert hello["data"]["stream"] == "center.2"


def test_figures_are_pushed_when_the_stream_moves_and_not_otherwise(run_async, report, committed, monkeypatch):
    from wenjiang_ops.live import consumers

    computed = []
    monkeypatch.setattr(consumers, "_stream_counts", lambda stream: computed.append(stream) or {"stream": stream})
    hub = consumers.CountsHub()
    monkeypatch.setattr(consumers, "hub", hub)

    async def scenario():
        socket = Socket(await sync_to_async(user)("liucheng"))
        await socket.open()
        await settle()
        await hub.tick()  # the socket has the snapshot's figures: nothing to send
        quiet = await socket.nothing(0.1)
        await committed(report)
        await socket.next()  # the event itself
        await hub.tick()
        counts = await socket.next()
        await hub.tick()  # nothing moved since
        still = await socket.nothing(0.1)
        await socket.close()
        return quiet, counts, still

    quiet, counts, still = run_async(scenario)
    assert quiet and still
    assert counts["type"] == "counts" and counts["data"] == {"stream": "center.2"}
    assert counts["seq"] == groups.current_seq("center.2")
    assert computed == ["center.2"]
    assert hub.watchers == {}, "a closed socket is forgotten"


def test_the_publisher_thread_publishes_what_a_request_queued(run_async, settings):
    settings.LIVE_PUSH = "thread"
    own = Publisher()

    async def scenario():
        duty = await sync_to_async(user)("duty")
        socket = Socket(duty)
        await socket.open()
        await settle()
        n = Notification(user=duty, kind="warning", message="即将超时")
        own.submit(_Job("notifications", [n]))
        await sync_to_async(own.stop, thread_sensitive=False)()
        message = await socket.next()
        await socket.close()
        return message

    message = run_async(scenario)
    assert message["type"] == "notification" and message["data"]["message"] == "即将超时"
    assert own.published == 1
    assert not own._thread.is_alive()


def test_publishing_off_publishes_nothing(settings):
    settings.LIVE_PUSH = "off"
    own = Publisher()
    own.submit(_Job("notifications", [Notification(user_id=1, kind="x", message="x")]))
    assert own.published == 0 and own._thread is None


def test_layer_messages_are_msgpack_with_json_data():
    message = msgpack.unpackb(encode("event", {"a": 1}))
    assert message == {"type": "live.push", "kind": "event", "data": '{"a":1}', "seq": 0}


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [(None, True), (b"http://localhost:8000", True), (b"http://[::1]:8000", True), (b"https://evil.example", False)],
)
def test_a_page_of_another_site_cannot_open_a_socket_on_the_users_session(run_async, origin, accepted):
    from accounts.services import socket_ticket_issue
    from wenjiang_ops.asgi import application

    async def scenario():
        ticket = await sync_to_async(lambda: socket_ticket_issue(user=user("duty")))()
        headers = [(b"origin", origin)] if origin else []
        communicator = WebsocketCommunicator(application, f"/ws/dashboard/?ticket={ticket}", headers=headers)
        connected, _ = await communicator.connect()
        if connected:
            await communicator.receive_from()
            await communicator.disconnect()
        return connected

    assert run_async(scenario) is accepted


def test_a_socket_far_behind_is_told_to_resynchronise_instead_of_queueing_without_end(run_async):
    from wenjiang_ops.live import consumers

    async def scenario():
        socket = Socket(await sync_to_async(user)("duty"))
        await socket.open()
        consumer = next(iter(consumers.hub.watchers["center.1"]))
        consumer.writer.cancel()  # a socket that does not drain
        for i in range(consumers.OUTBOX_LIMIT + 5):
            consumer.put(f'{{"type":"event","seq":{i},"data":{{}}}}')
        queued = list(consumer.outbox)
        await socket.close()
        return queued

    queued = run_async(scenario)
    assert len(queued) == 5
    assert json.loads(queued[0]) == {"type": "resync", "seq": None, "data": {"reason": "behind"}}


def test_pushing_from_sync_code_reuses_one_redis_connection(report, committed, run_async):
    """The stock way (`async_to_sync(group_send)`) opens a connection per message; ours keeps one."""
    from wenjiang_ops.live import publish

    async def scenario():
        for _ in range(15):
            await committed(report)

    publish._client = None  # a fresh client for this process: count what it opens
    before = publisher.published
    run_async(scenario)
    assert publisher.published - before == 15 * 3  # the community, the town and the district, each time
    assert redis_client().connection_pool._created_connections == 1


def test_publishing_goes_on_after_redis_forgot_the_numbering_script(run_async):
    """A restarted Redis has no scripts: the publisher loads it again and nothing is lost."""
    own = Publisher()

    async def scenario():
        duty = await sync_to_async(user)("duty")
        socket = Socket(duty)
        await socket.open()
        await settle()
        first = Notification(user=duty, kind="warning", message="第一条")
        await sync_to_async(own.publish)([_Job("notifications", [first])])
        await socket.next()
        await sync_to_async(redis_client().script_flush)()
        second = Notification(user=duty, kind="warning", message="第二条")
        await sync_to_async(own.publish)([_Job("notifications", [second])])
        message = await socket.next()
        await socket.close()
        return message

    assert run_async(scenario)["data"]["message"] == "第二条"
    assert own.published == 2


def test_in_queue_mode_a_commit_only_queues_and_the_publisher_process_publishes(run_async, report, committed, settings):
    """Production: web and Celery workers append to a Redis list; `manage.py live_publisher` drains it."""
    from wenjiang_ops.live import publish

    settings.LIVE_PUSH = "queue"
    client = redis_client()
    client.delete(publish.queue_key())
    own = Publisher()

    async def scenario():
        duty = await sync_to_async(user)("duty")
        socket = Socket(duty)
        hello = await socket.open()
        await settle()
        event = await committed(report)
        queued = await sync_to_async(client.llen)(publish.queue_key())
        nothing_yet = await socket.nothing(0.2)
        n = await sync_to_async(Notification.objects.create)(user=duty, kind="warning", message="队列中的消息")
        await sync_to_async(publisher.submit)(_Job("notifications", [n]))
        entry = json.loads(client.lindex(publish.queue_key(), 0))
        assert entry == {"kind": "notifications", "payload": [n.pk]}, "ids only: the publisher reads the row"
        client.lpush(publish.queue_key(), b"not json")  # a bad entry is dropped, the rest published
        taken = await sync_to_async(own.drain)(1.0)
        pushed = [await socket.next(), await socket.next()]
        await socket.close()
        return hello, event, queued, nothing_yet, taken, pushed

    hello, event, queued, nothing_yet, taken, pushed = run_async(scenario)
    assert queued == 1 and nothing_yet, "the commit queued the push, nobody published it yet"
    assert taken == 3
    by_type = {m["type"]: m for m in pushed}
    assert by_type["event"]["data"]["id"] == event.pk and by_type["event"]["seq"] == hello["seq"] + 1
    assert by_type["notification"]["data"]["message"] == "队列中的消息"
    assert client.llen(publish.queue_key()) == 0


def test_the_publisher_process_stops_on_request(settings):
    import threading

    settings.LIVE_PUSH = "queue"
    stop = threading.Event()
    stop.set()
    Publisher().serve(stop)  # returns at once: nothing hangs a shutdown


def test_a_report_is_taken_even_when_redis_is_unreachable(
    api, hangtianlu_point, category, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The push is lost (the dashboards resynchronise later); the report is not."""
    import redis as redis_module

    from events.models import Event
    from wenjiang_ops.live import publish

    settings.LIVE_PUSH = "queue"
    monkeypatch.setattr(publish, "_client", redis_module.Redis(port=1, socket_connect_timeout=0.5))
    monkeypatch.setattr(publish, "_client_pid", __import__("os").getpid())
    body = {
        "category": category.pk,
        "description": "Redis 不可用时的上报",
        "lat": hangtianlu_point.y,
        "lng": hangtianlu_point.x,
        "client_id": "6f1d0c52-2b7e-4f55-9a0e-000000000001",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user("gridworker").post("/api/events/", body, format="json")
    assert response.status_code == 201, response.content
    assert Event.objects.filter(pk=response.json()["id"], description="Redis 不可用时的上报").exists()


# --- the pages' inbox socket -----------------------------------------------------------------------


def test_every_role_has_an_inbox_socket_that_hears_its_own_messages_only(run_async):
    """A grid worker has no dashboard, but the badge on their pages still moves: /ws/inbox/."""
    own = Publisher()

    async def scenario():
        worker, duty = await sync_to_async(user)("gridworker"), await sync_to_async(user)("duty")
        await sync_to_async(Notification.objects.create)(user=worker, kind="task", message="旧消息")
        socket = Socket(worker, inbox=True)
        hello = await socket.open()
        await settle()
        theirs = await sync_to_async(Notification.objects.create)(user=worker, kind="task", message="请核查")
        others = await sync_to_async(Notification.objects.create)(user=duty, kind="warning", message="别人的")
        await sync_to_async(own.publish)([_Job("notifications", [others, theirs])])
        pushed = await socket.next()
        nothing_more = await socket.nothing()
        await socket.close()
        return hello, pushed, nothing_more, theirs

    hello, pushed, nothing_more, theirs = run_async(scenario)
    assert hello["type"] == "hello" and hello["data"] == {"unread": 1}
    assert pushed["type"] == "notification"
    assert pushed["data"] == {
        "id": theirs.pk,
        "kind": "task",
        "message": "请核查",
        "event_id": None,
        "url": None,
        "unread": 2,
    }
    assert nothing_more, "another user's message never reaches this socket"


def test_the_inbox_socket_refuses_a_signed_out_user(run_async):
    from django.contrib.auth.models import AnonymousUser

    async def scenario():
        socket = Socket(AnonymousUser(), inbox=True)
        first = await socket.open()
        return first, await socket.communicator.receive_output(timeout=2)

    first, closed = run_async(scenario)
    assert first["type"] == "error" and closed == {"type": "websocket.close", "code": 4401}


def test_the_inbox_socket_is_routed_and_every_page_but_the_dashboard_opens_it(client, django_user_model):
    from wenjiang_ops.routing import websocket_urlpatterns

    assert any(str(p.pattern) == "ws/inbox/" for p in websocket_urlpatterns)
    client.force_login(django_user_model.objects.get(username="police"))
    queue = client.get("/events/").content.decode()  # the ticket queue
    assert "js/inbox.js" in queue and 'data-inbox-socket="on"' in queue
    dashboard = client.get("/dashboard/").content.decode()  # its own socket carries the messages
    assert "js/inbox.js" in dashboard and 'data-inbox-socket="off"' in dashboard
    client.logout()
    assert b"js/inbox.js" not in client.get("/accounts/login/").content
