"""The camera pages that add and edit a registry row (/video/cameras/new/, /video/cameras/<id>/edit/):
the form parses, video.services.camera_create / camera_update decide; their errors are shown at the
fields and nothing is written; only the centers whose area holds the camera get the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from video import services
from video.choices import CameraStatus, Network
from video.domain import gbcode
from video.models import Camera

pytestmark = pytest.mark.django_db

CIVIL = "51011500"  # 温江区


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def form_data(point, **overrides) -> dict:
    data = {
        "code": gbcode.make(civil=CIVIL, serial=987001, type="132"),
        "name": "航天路口东侧球机",
        "network": Network.XUELIANG,
        "lat": f"{point.y:.6f}",
        "lng": f"{point.x:.6f}",
        "address": "航天路与光华大道路口",
        "ptz": "on",
        "codec": "h264",
        "media_server": "",
        "stream": "",
        "device_code": "",
        "owner_kind": "",
        "owner": "",
        "owner_org": "",
    }
    data.update(overrides)
    return data


def test_a_town_adds_a_camera_which_is_placed_in_its_grid_and_listed(hangtianlu, local):
    town = client_for("liucheng")
    response = town.get("/video/cameras/new/")
    assert response.status_code == 200
    assert 'id="camera-form-map"' in response.content.decode()
    data = form_data(hangtianlu.boundary.point_on_surface, media_server=local.pk, stream="page-cam-1")
    response = town.post("/video/cameras/new/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    camera = Camera.objects.get(code=data["code"])
    assert camera.name == "航天路口东侧球机" and camera.ptz and camera.network == Network.XUELIANG
    assert camera.grid == hangtianlu and camera.center == hangtianlu.center  # placed by its position
    assert camera.gb_type == "132" and camera.status == CameraStatus.UNKNOWN
    assert camera.media_server == local and camera.stream == "page-cam-1"
    listed = town.get(response.url)  # the list, searched for the new camera's code
    assert [c.pk for c in listed.context["page"]] == [camera.pk]
    page = listed.content.decode()
    assert f"/video/cameras/{camera.pk}/edit/" in page and "/video/cameras/new/" in page


def test_a_camera_is_edited_on_its_page(camera, yongning):
    row = camera(name="旧名称", ptz=False)
    services.cameras_set_status({row.pk: CameraStatus.STALLED}, source="poll")
    services.cameras_set_status({row.pk: CameraStatus.ONLINE}, source="hook")
    district = client_for("duty")
    response = district.get(f"/video/cameras/{row.pk}/edit/")
    assert response.status_code == 200
    history = response.context["history"]  # the status history, newest first
    assert [(h.from_status, h.to_status) for h in history] == [("stalled", "online"), ("online", "stalled")]
    form = response.context["form"]
    assert form["code"].value() == row.code and form["name"].value() == "旧名称"
    point = yongning.boundary.point_on_surface  # moved to another town: the district may
    data = {
        **form.initial,
        "name": "新名称",
        "lat": point.y,
        "lng": point.x,
        "ptz": "on",
        "media_server": row.media_server_id,
    }
    data = {key: ("" if value is None else value) for key, value in data.items()}
    response = district.post(f"/video/cameras/{row.pk}/edit/", data)
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.name == "新名称" and row.ptz
    assert row.grid == yongning and row.center == yongning.center
    assert row.status == CameraStatus.ONLINE  # the form does not touch the status


def test_a_bad_code_is_a_field_error_and_nothing_is_written(hangtianlu):
    before = Camera.objects.count()
    point = hangtianlu.boundary.point_on_surface
    town = client_for("liucheng")
    for code, problem in [("1234", "format"), (gbcode.make(civil=CIVIL, serial=1, type="111"), "type")]:
        response = town.post("/video/cameras/new/", form_data(point, code=code))
        assert response.status_code == 400, problem
        form = response.context["form"]
        assert list(form.errors) == ["code"], form.errors
        assert "error" in response.content.decode()
    # The service's own rules come back as field errors too, all of them: a stream without its server, a
    # household camera of an organisation without the organisation's name.
    data = form_data(point, stream="no-server", network=Network.HUIYAN, owner_kind="organisation")
    response = town.post("/video/cameras/new/", data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"stream", "owner_org"}
    response = town.post("/video/cameras/new/", form_data(point, lat="north"))
    assert response.status_code == 400 and "lat" in response.context["form"].errors
    assert Camera.objects.count() == before


def test_a_taken_code_or_stream_on_edit_writes_nothing(camera):
    first, second = camera(), camera()
    district = client_for("duty")
    form = district.get(f"/video/cameras/{second.pk}/edit/").context["form"]
    base = {key: ("" if value is None else value) for key, value in form.initial.items()}
    response = district.post(f"/video/cameras/{second.pk}/edit/", {**base, "code": first.code, "name": "改名"})
    assert response.status_code == 400 and "code" in response.context["form"].errors
    response = district.post(f"/video/cameras/{second.pk}/edit/", {**base, "stream": first.stream, "name": "改名"})
    assert response.status_code == 400 and "stream" in response.context["form"].errors
    second.refresh_from_db()
    assert second.name != "改名" and second.code != first.code and second.stream != first.stream


def test_another_towns_staff_are_refused(camera, hangtianlu, yongning):
    row = camera()  # in 航天路社区 (柳城街道)
    other = client_for("yongning")
    assert other.get(f"/video/cameras/{row.pk}/edit/").status_code == 404
    response = other.post(f"/video/cameras/{row.pk}/edit/", {**form_data(yongning.boundary.point_on_surface)})
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.center == hangtianlu.center and row.name != "航天路口东侧球机"
    # Nor may they place a new camera in another town: a field error at the position, nothing written.
    data = form_data(hangtianlu.boundary.point_on_surface)
    response = other.post("/video/cameras/new/", data)
    assert response.status_code == 400 and "lat" in response.context["form"].errors
    assert not Camera.objects.filter(code=data["code"]).exists()
    # The community below the town may edit it; a volunteer and a grid worker get no page.
    assert client_for("hangtianlu").get(f"/video/cameras/{row.pk}/edit/").status_code == 200
    assert client_for("volunteer").get("/video/cameras/new/").status_code == 403
    assert client_for("gridworker").get(f"/video/cameras/{row.pk}/edit/").status_code == 403


def test_a_grid_worker_allowed_to_watch_gets_no_add_or_edit_links(grant_watch, camera):
    camera()
    worker = User.objects.get(username="gridworker")
    grant_watch(worker)
    client = Client()
    client.force_login(worker)
    response = client.get("/video/")
    assert response.status_code == 200 and response.context["may_manage"] is False
    assert "/video/cameras/new/" not in response.content.decode()
    assert client.get("/video/cameras/new/").status_code == 403
