"""Special populations on the live dashboards: lost contact reaches the holding community, its town
and the district as an alarm without the person's name; the snapshot lists it with the figures; a
department's dashboard hears nothing of it."""

import pytest
from asgiref.sync import sync_to_async

from accounts.models import User
from care import services
from tests.care.factories import make_person

from .conftest import Socket, settle
from .test_push import committed, user  # noqa: F401  (the fixture and helper of the event pushes)

pytestmark = pytest.mark.usefixtures("live")


async def drain(socket):
    got = []
    while not await socket.nothing():
        got.append(await socket.next())
    return got


def test_lost_contact_reaches_the_centers_without_the_name(run_async, committed):  # noqa: F811
    gridworker = User.objects.get(username="gridworker")
    person = make_person(workers=[gridworker], name="张小明")

    async def scenario():
        sockets = {
            name: Socket(await sync_to_async(user)(name)) for name in ("duty", "liucheng", "hangtianlu", "yongning")
        }
        hello = {name: await s.open() for name, s in sockets.items()}
        await settle()
        await committed(services.person_action, person_id=person.pk, actor=gridworker, action="lost_contact")
        got = {name: await drain(s) for name, s in sockets.items()}
        for s in sockets.values():
            await s.close()
        return hello, got

    hello, got = run_async(scenario)
    assert [m for m in got["yongning"] if m["type"] == "care"] == []
    for name in ("duty", "liucheng", "hangtianlu"):
        pushes = [m for m in got[name] if m["type"] == "care"]
        assert len(pushes) == 1, (name, got[name])
        data = pushes[0]["data"]
        assert pushes[0]["seq"] == hello[name]["seq"] + 1
        assert data["id"] == person.pk and data["kind"] == "lost_contact" and data["active"] is True
        assert data["center_name"] == "航天路社区" and data["person_type"] == "correction"
        assert "张" not in str(data)
    # The holding center's staff are told in their inbox too (and by SMS: an urgent kind).
    notes = [m for m in got["hangtianlu"] if m["type"] == "notification"]
    assert [n["data"]["kind"] for n in notes] == ["care_lost_contact"]


def test_the_snapshot_lists_care_alarms_and_figures(api):
    gridworker = User.objects.get(username="gridworker")
    lost = make_person(workers=[gridworker])
    make_person(workers=[gridworker], name="李四")
    services.person_action(person_id=lost.pk, actor=gridworker, action="lost_contact")
    body = api.as_user("liucheng").get("/api/dashboard/snapshot/").json()
    assert [item["id"] for item in body["care_alarms"]] == [lost.pk]
    assert body["counts"]["care"] == {"in_care": 1, "lost": 1, "overdue": 0}
    assert "name" not in body["care_alarms"][0]
    police = api.as_user("police").get("/api/dashboard/snapshot/").json()
    assert police["care_alarms"] == [] and police["counts"]["care"] is None
