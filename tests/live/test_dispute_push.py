"""Disputes on the live dashboards: a case taken in reaches its community, town and district (no
party's name in the push, the big screen is seen by many), an alarm shows in the snapshot, and a
department's dashboard hears nothing of disputes."""

import uuid

import pytest
from asgiref.sync import sync_to_async

from accounts.models import User
from disputes import services
from disputes.models import DisputeType
from grids.models import Grid

from .conftest import Socket, settle
from .test_push import committed, user  # noqa: F401  (the fixture and helper of the event pushes)

pytestmark = pytest.mark.usefixtures("live")


def take_in(**overrides):
    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    kwargs = dict(
        reporter=User.objects.get(username="hangtianlu"),
        type_id=DisputeType.objects.get(code="neighbour-nuisance").pk,
        title="楼上漏水纠纷",
        facts="卫生间漏水，楼下受损。",
        lat=point.y,
        lng=point.x,
        client_id=str(uuid.uuid4()),
        intake="walk_in",
        parties=[
            {"role": "applicant", "name": "李秀英", "phone": "13800001111"},
            {"role": "respondent", "name": "王建国"},
        ],
    )
    kwargs.update(overrides)
    return services.dispute_report(**kwargs)[0]


def test_a_dispute_reaches_its_centers_without_personal_data(run_async, committed):  # noqa: F811
    async def scenario():
        sockets = {
            name: Socket(await sync_to_async(user)(name))
            for name in ("duty", "liucheng", "hangtianlu", "yongning", "police")
        }
        hello = {name: await s.open() for name, s in sockets.items()}
        await settle()
        dispute = await committed(take_in, signals=["threats"])
        got = {name: await s.next() for name, s in sockets.items() if name not in ("yongning", "police")}
        quiet = [await sockets["yongning"].nothing()]
        # The police hear the alarm in their inbox, never the case on their dashboard.
        police = []
        while not await sockets["police"].nothing():
            police.append(await sockets["police"].next())
        for s in sockets.values():
            await s.close()
        return hello, dispute, got, quiet, police

    hello, dispute, got, quiet, police = run_async(scenario)
    assert all(quiet)
    assert [m["type"] for m in police] == [] or all(m["type"] == "notification" for m in police)
    for name, message in got.items():
        assert message["type"] == "dispute" and message["seq"] == hello[name]["seq"] + 1, name
        data = message["data"]
        assert data["id"] == dispute.pk and data["number"] == dispute.number and data["alarmed"] is True
        assert data["risk"] == "orange" and data["signals"] == ["threats"] and data["open"] is True
        text = str(data)
        assert "李秀英" not in text and "13800001111" not in text


def test_the_snapshot_lists_dispute_alarms_and_figures(api):
    dispute = take_in(signals=["weapons"])
    take_in()  # no signal: counted, not an alarm
    body = api.as_user("liucheng").get("/api/dashboard/snapshot/").json()
    assert [item["id"] for item in body["dispute_alarms"]] == [dispute.pk]
    figures = body["counts"]["disputes"]
    assert figures["taken_in"] == 2 and figures["open"] == 2 and figures["alarms"] == 1
    assert figures["year_taken_in"] == 2 and figures["success_rate"] == 0
    police = api.as_user("police").get("/api/dashboard/snapshot/").json()
    assert police["dispute_alarms"] == [] and police["counts"]["disputes"] is None


def test_in_queue_mode_a_dispute_is_queued_by_id_and_the_publisher_process_publishes_it(run_async, committed, settings):  # noqa: F811
    """Production (`make run` too): the commit appends the case's id to the Redis list, and
    `manage.py live_publisher` publishes it (the sync mode of the other tests skipped this path)."""
    import json

    from wenjiang_ops.live import publish
    from wenjiang_ops.live.publish import Publisher, redis_client

    settings.LIVE_PUSH = "queue"
    client = redis_client()
    client.delete(publish.queue_key())

    async def scenario():
        socket = Socket(await sync_to_async(user)("liucheng"))
        hello = await socket.open()
        await settle()
        dispute = await committed(take_in)
        entries = [json.loads(e) for e in await sync_to_async(client.lrange)(publish.queue_key(), 0, -1)]
        taken = await sync_to_async(Publisher().drain)(1.0)
        pushed = await socket.next()
        await socket.close()
        return hello, dispute, entries, taken, pushed

    hello, dispute, entries, taken, pushed = run_async(scenario)
    assert {"kind": "disputes", "payload": [dispute.pk]} in entries
    assert taken == len(entries)
    assert pushed["type"] == "dispute" and pushed["data"]["id"] == dispute.pk and pushed["seq"] == hello["seq"] + 1
