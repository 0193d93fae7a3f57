"""The import of a grid's places: .csv, .xlsx and GeoJSON, errors per row, all or nothing."""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from grids.models import Grid, Place
from grids.services import place_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid():
    return Grid.objects.filter(center__name="航天路社区", kind="comprehensive").order_by("code").first()


def _inside(grid, dx=0.0):
    p = grid.boundary.point_on_surface
    return p.y, p.x + dx


def _csv(rows) -> SimpleUploadedFile:
    lines = ["grid,code,kind,name,parent,address,lat,lng"] + [",".join(map(str, r)) for r in rows]
    return SimpleUploadedFile("places.csv", "\n".join(lines).encode("utf-8"))


def test_csv_with_parents(grid, demo_user):
    lat, lng = _inside(grid)
    rows = [
        (grid.code, "T1", "小区", "测试小区", "", "测试路1号", lat, lng),
        (grid.code, "T1-1", "楼栋", "测试小区1栋", "T1", "", lat, lng),
        (grid.code, "T1-1-1", "单元", "测试小区1栋1单元", "T1-1", "", lat, lng),
    ]
    assert place_import(file=_csv(rows), actor=demo_user("hangtianlu")) == {"created": 3, "updated": 0}
    entrance = Place.objects.get(grid=grid, code="T1-1-1")
    assert entrance.kind == "entrance" and entrance.parent.code == "T1-1" and entrance.parent.parent.code == "T1"
    # The same file again updates, never duplicates.
    assert place_import(file=_csv(rows), actor=demo_user("hangtianlu")) == {"created": 0, "updated": 3}


def test_errors_per_row_and_nothing_half_imported(grid, demo_user):
    lat, lng = _inside(grid)
    other = Grid.objects.filter(center__parent__name="永宁街道").order_by("code").first()
    before = Place.objects.count()
    rows = [
        (grid.code, "E1", "building", "好的一行", "", "", lat, lng),
        (grid.code, "E2", "castle", "未知类型", "", "", lat, lng),
        (grid.code, "E3", "building", "网格外", "", "", 0.0, 0.0),
        ("nope", "E4", "building", "没有这个网格", "", "", lat, lng),
        (grid.code, "E5", "entrance", "单元挂在小区下", "E1x", "", lat, lng),
        (other.code, "E6", "building", "别的区域", "", "", lat, lng),
        (grid.code, "E7", "building", "", "", "", lat, lng),
    ]
    with pytest.raises(ValidationError) as refused:
        place_import(file=_csv(rows), actor=demo_user("hangtianlu"))
    errors = refused.value.message_dict["rows"]
    assert [e.split(":")[0] for e in errors] == [f"row {n}" for n in (3, 4, 5, 6, 7, 8)] or len(errors) == 6
    assert Place.objects.count() == before


def test_xlsx_and_geojson(grid, demo_user):
    from openpyxl import Workbook

    lat, lng = _inside(grid)
    book = Workbook()
    sheet = book.active
    sheet.append(["grid", "code", "kind", "name", "lat", "lng"])
    sheet.append([grid.code, "X1", "compound", "表格小区", lat, lng])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("places.xlsx", data.getvalue())
    assert place_import(file=upload, actor=demo_user("hangtianlu"))["created"] == 1
    x, y = lng, lat
    d = 0.0002
    feature = {
        "type": "Feature",
        "properties": {"grid": grid.code, "code": "G1", "kind": "院落", "name": "轮廓院落"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]],
        },
    }
    upload = SimpleUploadedFile(
        "places.geojson", json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    )
    assert place_import(file=upload, actor=demo_user("hangtianlu"))["created"] == 1
    place = Place.objects.get(grid=grid, code="G1")
    assert place.outline is not None and place.outline.covers(place.point)


def test_who_imports(grid, demo_user):
    with pytest.raises(PermissionDenied):
        place_import(file=_csv([]), actor=demo_user("gridworker"))
    with pytest.raises(ValidationError):
        place_import(file=SimpleUploadedFile("places.txt", b"x"), actor=demo_user("hangtianlu"))
    lat, lng = _inside(grid)
    with pytest.raises(ValidationError):  # a grid outside 永宁街道's staff area
        place_import(file=_csv([(grid.code, "Z", "building", "越界", "", "", lat, lng)]), actor=demo_user("yongning"))


def test_import_page(client, demo_user, grid):
    client.force_login(demo_user("hangtianlu"))
    lat, lng = _inside(grid)
    page = client.post(
        "/patrols/places/import/", {"file": _csv([(grid.code, "P1", "building", "页面导入", "", "", lat, lng)])}
    )
    assert page.status_code == 200 and Place.objects.filter(code="P1", grid=grid).exists()
    page = client.post("/patrols/places/import/", {"file": _csv([(grid.code, "P2", "castle", "x", "", "", lat, lng)])})
    assert "row 2" in page.content.decode() or "第" in page.content.decode()
