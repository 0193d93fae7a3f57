"""The alarms API lists: who sees what (accounts.scope.ALARMS_BY_ROLE), no secrets, exact query counts;
the event page's alarm cluster."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alarms import services
from alarms.models import Alarm, Device, Source

from .conftest import body_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def alarms(face, post):
    """Alarms from a face-gate device in 航天路社区 and one in 永宁街道, and a waste-truck alarm
    (urban management's) in 航天路社区, processed."""
    inside = Device.objects.filter(source=face, center__name="航天路社区").first()
    if inside is None:  # the demo places devices at random: put one there
        inside = Device.objects.filter(source=face).first()
        from grids.models import Grid

        grid = Grid.objects.filter(center__name="航天路社区").order_by("code").first()
        Device.objects.filter(pk=inside.pk).update(
            grid=grid, center=grid.center, location=grid.boundary.point_on_surface
        )
    outside = Device.objects.filter(source=face, center__path__contains="/510115002").exclude(pk=inside.pk).first()
    assert outside is not None and outside.center.name != "航天路社区"
    trucks = Source.objects.get(code="waste-trucks")
    trucks.known_secret = services.source_secret_reset(source=trucks)
    truck_device = Device.objects.get(pk=Device.objects.filter(source=trucks).first().pk)
    Device.objects.filter(pk=truck_device.pk).update(grid=inside.grid, center=inside.center)
    ids = {}
    for name, source, device, kind, data in [
        ("in", face, inside, "watchlist", None),
        ("out", face, outside, "watchlist", None),
        ("truck", trucks, truck_device, "dumping", {"plate": "川A12345"}),
    ]:
        body = body_for(device, kind, occurred_at=timezone.localtime(timezone.now() - timedelta(seconds=5)).isoformat())
        if data:
            body["data"] = data
        response = post(source, body)
        assert response.status_code == 201, response.content
        ids[name] = response.json()["id"]
    services.alarms_process(now=timezone.now() + timedelta(seconds=1))
    return {"ids": ids, "inside": inside, "outside": outside, "truck": truck_device, "face": face, "trucks": trucks}


def listed(api, user, path, key="id"):
    response = api.as_user(user).get(path, {"page_size": 1000})
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("duty", {"in", "out", "truck"}),
        ("admin", {"in", "out", "truck"}),
        ("liucheng", {"in", "truck"}),  # 航天路社区 is in 柳城街道
        ("hangtianlu", {"in", "truck"}),
        ("police", {"in", "out"}),  # the face gates are the police's
        ("chengguan", {"truck"}),  # the waste trucks are urban management's
        ("gridworker", set()),
        ("volunteer", set()),
        ("mediator", set()),
    ],
)
def test_who_sees_which_alarms(api, alarms, user, expected):
    ids = {v: k for k, v in alarms["ids"].items()}
    seen = listed(api, user, "/api/alarms/") & set(ids)
    assert {ids[i] for i in seen} == expected


@pytest.mark.parametrize(
    ("user", "sees_in", "sees_out", "sources"),
    [
        ("duty", True, True, None),
        ("hangtianlu", True, False, {"safe-compound", "waste-trucks"}),
        ("police", True, True, {"safe-compound", "e-fence", "three-vehicles"}),
        ("chengguan", False, False, {"waste-trucks"}),
        ("gridworker", False, False, set()),
    ],
)
def test_who_sees_which_devices_and_sources(api, alarms, user, sees_in, sees_out, sources):
    devices = listed(api, user, "/api/alarm-devices/")
    assert (alarms["inside"].pk in devices, alarms["outside"].pk in devices) == (sees_in, sees_out)
    codes = listed(api, user, "/api/alarm-sources/", key="code")
    if sources is None:
        assert codes == set(Source.objects.values_list("code", flat=True))
    else:
        assert sources <= codes if user == "hangtianlu" else codes == sources


def test_sources_never_show_their_secret_or_addresses(api, alarms):
    response = api.as_user("admin").get("/api/alarm-sources/")
    text = response.content.decode()
    assert alarms["face"].known_secret not in text
    assert "secret" not in text and "allowed_addresses" not in text and "127.0.0.0" not in text
    face = next(r for r in response.json()["results"] if r["code"] == "safe-compound")
    assert {t["code"] for t in face["types"]} == {"watchlist", "stranger"}
    assert face["device_count"] == Device.objects.filter(source=alarms["face"]).count()


def test_an_alarm_names_its_event(api, alarms):
    rows = api.as_user("duty").get(
        "/api/alarms/", {"event": Alarm.objects.get(pk=alarms["ids"]["in"]).cluster.event_id}
    )
    [row] = rows.json()["results"]
    assert row["id"] == alarms["ids"]["in"] and row["status"] == "event" and row["type"] == "watchlist"


def test_filters(api, alarms):
    client = api.as_user("duty")
    assert {r["id"] for r in client.get("/api/alarms/", {"source": alarms["trucks"].pk}).json()["results"]} == {
        alarms["ids"]["truck"]
    }
    assert client.get("/api/alarms/", {"status": "nope"}).status_code == 400
    devices = client.get("/api/alarm-devices/", {"center": alarms["inside"].center_id}).json()["results"]
    assert alarms["inside"].pk in {d["id"] for d in devices}
    assert all(d["center"] == alarms["inside"].center_id for d in devices)


def _more_alarms(face, post, n):
    device = Device.objects.filter(source=face, center__isnull=False).order_by("-pk").first()
    for _ in range(n):
        assert post(face, body_for(device)).status_code == 201
    services.alarms_process(now=timezone.now() + timedelta(seconds=1))


@pytest.mark.parametrize("path", ["/api/alarms/", "/api/alarm-devices/", "/api/alarm-sources/"])
@pytest.mark.parametrize("user", ["duty", "police", "hangtianlu"])
def test_lists_in_constant_queries(api, alarms, face, post, django_assert_num_queries, path, user):
    client = api.as_user(user)
    client.get(path)  # the user's center or department, read once for the signed-in user (scope)
    # The count and the rows; sources add their alarm types.
    expected = {"/api/alarms/": 2, "/api/alarm-devices/": 2, "/api/alarm-sources/": 3}[path]
    with django_assert_num_queries(expected):
        assert client.get(path, {"page_size": 100}).status_code == 200
    _more_alarms(face, post, 5)
    with django_assert_num_queries(expected):
        assert client.get(path, {"page_size": 100}).status_code == 200


def test_the_event_page_shows_its_alarm_cluster(client, alarms, django_user_model):
    alarm = Alarm.objects.select_related("cluster__event", "device").get(pk=alarms["ids"]["in"])
    client.force_login(django_user_model.objects.get(username="hangtianlu"))
    page = client.get(f"/events/{alarm.cluster.event_id}/").content.decode()
    assert alarm.device.name in page and alarm.device.code in page and alarms["face"].name in page
    assert alarm.external_id in page
