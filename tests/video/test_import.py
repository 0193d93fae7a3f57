"""The registry's import: .csv, .xlsx and a wvp channel list; every row checked first, every error
reported by row, nothing half-imported; a second import updates."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from grids.models import Grid
from video import importing
from video.models import Camera, CameraStatusChange

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


def sheet(rows: list[list], header=None) -> bytes:
    header = header or ["code", "name", "network", "lat", "lng", "ptz", "codec"]
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def spot(db):
    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    return point.y, point.x


def test_a_csv_is_imported_and_a_second_import_updates(user, spot):
    lat, lng = spot
    data = sheet([["51011501001320001001", "光华大道口", "天网", lat, lng, "是", "h265"],
                  ["51011501001320001002", "文化广场", "xueliang", lat, lng, "", ""]])  # fmt: skip
    rows = importing.rows_from_file("cameras.csv", data)
    result = importing.cameras_import(actor=user("liucheng"), rows=rows)
    assert (result.created, result.updated) == (2, 0)
    first = Camera.objects.get(code="51011501001320001001")
    assert (first.network, first.ptz, first.codec, first.grid.code, first.gb_type) == (
        "tianwang",
        True,
        "h265",
        "510115001001001",
        "132",
    )
    again = sheet([["51011501001320001001", "光华大道口(改)", "天网", lat, lng, "", "h264"]])
    result = importing.cameras_import(actor=user("liucheng"), rows=importing.rows_from_file("c.csv", again))
    assert (result.created, result.updated) == (0, 1)
    first.refresh_from_db()
    assert (first.name, first.codec, first.ptz) == ("光华大道口(改)", "h264", False)


def test_every_bad_row_is_reported_and_nothing_is_written(user, spot):
    lat, lng = spot
    before = Camera.objects.count()
    data = sheet([
        ["51011501001320001001", "好的一行", "tianwang", lat, lng, "", ""],
        ["5101150100132000100", "短码", "tianwang", lat, lng, "", ""],
        ["51011501001320001003", "", "火星网", lat, lng, "", "mpeg2"],
        ["51011501001320001001", "重复", "tianwang", lat, lng, "", ""],
        ["51011501001180001005", "录像机", "tianwang", "north", lng, "", ""],
    ])  # fmt: skip
    with pytest.raises(importing.ImportFailed) as failed:
        importing.cameras_import(actor=user("liucheng"), rows=importing.rows_from_file("c.csv", data))
    errors = {(e["row"], e["field"]) for e in failed.value.errors}
    assert errors == {(3, "code"), (4, "name"), (4, "network"), (4, "codec"), (5, "code"), (6, "code"), (6, "lat")}
    assert Camera.objects.count() == before


def test_a_camera_outside_the_importers_area_is_an_error(user):
    far = Grid.objects.filter(center__parent__name="永宁街道").first().boundary.point_on_surface
    data = sheet([["51011501001320001010", "永宁", "tianwang", far.y, far.x, "", ""]])
    with pytest.raises(importing.ImportFailed) as failed:
        importing.cameras_import(actor=user("hangtianlu"), rows=importing.rows_from_file("c.csv", data))
    assert [(e["row"], e["field"]) for e in failed.value.errors] == [(2, "lat")]


def test_only_center_roles_import(user):
    with pytest.raises(PermissionDenied):
        importing.cameras_import(actor=user("gridworker"), rows=[])


def test_an_xlsx_with_chinese_headers(user, spot):
    lat, lng = spot
    book = Workbook()
    book.active.append(["国标编码", "名称", "网络", "纬度", "经度", "云台"])
    book.active.append(["51011501001320001020", "柳城大道口", "雪亮", lat, lng, "球机"])
    book.active.append([None, None, None, None, None, None])
    out = io.BytesIO()
    book.save(out)
    result = importing.cameras_import(actor=user("duty"), rows=importing.rows_from_file("c.xlsx", out.getvalue()))
    assert result.created == 1
    assert Camera.objects.get(code="51011501001320001020").network == "xueliang"


def test_a_gb18030_csv_from_chinese_excel(user, spot):
    lat, lng = spot
    data = f"国标编码,名称,网络,纬度,经度\n51011501001320001030,老街口,天网,{lat},{lng}\n".encode("gb18030")
    assert importing.cameras_import(actor=user("duty"), rows=importing.rows_from_file("c.csv", data)).created == 1


def test_a_wvp_channel_list_with_its_online_flags(user, local):
    from video.models import MediaServer

    MediaServer.objects.create(name="wvp", slug="wvp", kind="wvp")
    data = (FIXTURES / "wvp_channels_26.json").read_bytes()
    with pytest.raises(importing.ImportFailed) as failed:  # the third channel has no name and no position
        importing.cameras_import(
            actor=user("duty"), rows=importing.rows_from_file("ch.json", data, network="xueliang", media_server="wvp")
        )
    assert {e["row"] for e in failed.value.errors} == {3}
    good = (FIXTURES / "wvp_channels_27.json").read_bytes()
    rows = importing.rows_from_file("ch.json", good, network="xueliang", media_server="wvp")
    assert importing.cameras_import(actor=user("duty"), rows=rows).created == 2
    on = Camera.objects.get(code="51011501011326900101")
    assert (on.status, on.ptz, on.device_code, on.stream, on.media_server.slug) == (
        "online", True, "51011501011186000001", "51011501011186000001_51011501011326900101", "wvp"
    )  # fmt: skip
    assert Camera.objects.get(code="51011501011326900102").status == "offline"
    went_off = good.replace(b'"gbStatus": "ON"', b'"gbStatus": "OFF"')
    rows = importing.rows_from_file("ch.json", went_off, network="xueliang", media_server="wvp")
    assert importing.cameras_import(actor=user("duty"), rows=rows).updated == 2
    on.refresh_from_db()
    assert on.status == "offline"
    history = CameraStatusChange.objects.filter(camera__code__in=["51011501011326900101", "51011501011326900102"])
    assert list(history.values_list("from_status", "to_status", "source")) == [("online", "offline", "import")]


@pytest.mark.parametrize(
    "name, data, kwargs",
    [
        ("c.txt", b"x", {}),
        ("c.json", b"[]", {}),  # no network said
        ("c.json", b"{not json", {"network": "xueliang"}),
        ("c.xlsx", b"not a workbook", {}),
        ("c.csv", b"", {}),
        ("c.csv", b"code,name\n", {}),
        ("c.csv", b"\xff\xfe\x00garbage\x80", {}),
    ],
)
def test_files_that_cannot_be_read_are_refused(name, data, kwargs):
    with pytest.raises(importing.ImportFailed) as failed:
        importing.rows_from_file(name, data, **kwargs)
    assert failed.value.errors[0]["row"] == 0


def test_the_management_command(user, spot, tmp_path, capsys):
    lat, lng = spot
    path = tmp_path / "c.csv"
    path.write_bytes(sheet([["51011501001320001040", "命令导入", "tianwang", lat, lng, "", ""]]))
    call_command("import_cameras", str(path), "--as", "duty", "--dry-run")
    assert not Camera.objects.filter(code="51011501001320001040").exists()
    call_command("import_cameras", str(path), "--as", "duty")
    assert Camera.objects.filter(code="51011501001320001040").exists()
    path.write_bytes(sheet([["123", "坏", "tianwang", lat, lng, "", ""]]))
    with pytest.raises(CommandError):
        call_command("import_cameras", str(path), "--as", "duty")
    assert "row 2: code" in capsys.readouterr().err


def test_the_import_api(api, spot):
    lat, lng = spot
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api.as_user("liucheng")
    good = SimpleUploadedFile("c.csv", sheet([["51011501001320001050", "接口导入", "tianwang", lat, lng, "", ""]]))
    response = client.post("/api/cameras/import/", {"file": good}, format="multipart")
    assert response.status_code == 200 and response.json() == {"created": 1, "updated": 0, "dry_run": False}
    bad = SimpleUploadedFile("c.csv", sheet([["x", "坏", "tianwang", lat, lng, "", ""]]))
    response = client.post("/api/cameras/import/", {"file": bad}, format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["row"] == 2
    assert api.as_user("gridworker").post("/api/cameras/import/", {"file": good}, format="multipart").status_code == 403
