"""grid_at(point) and GET /api/grids/locate/: inside, on a border, outside, bad input."""

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import translation

from grids.models import Grid
from grids.selectors import BadCoordinates, GridNotFound, grid_at, point_from_lat_lng

pytestmark = pytest.mark.django_db


def shared_border_point():
    """A vertex in the middle of a border shared by exactly two grids, and their codes.

    A vertex, not an interpolated point: it is exactly on both boundaries, bit for bit."""
    with connection.cursor() as cursor:
        cursor.execute(
            """select a.code, b.code, st_x(p), st_y(p) from grids_grid a
               join grids_grid b on a.code < b.code and a.boundary && b.boundary
               cross join lateral (select st_linemerge(st_intersection(a.boundary, b.boundary)) as line) l
               cross join lateral (select st_pointn(l.line, 2) as p) v
               where a.code like '510115001%%' and st_geometrytype(l.line) = 'ST_LineString'
                 and st_npoints(l.line) >= 3
               order by a.code, b.code limit 1"""
        )
        low, high, x, y = cursor.fetchone()
    return Point(x, y, srid=4326), low, high


def _xy(wkt):
    x, y = wkt.removeprefix("POINT(").removesuffix(")").split()
    return float(x), float(y)


def test_a_point_inside_a_grid_finds_that_grid():
    for grid in Grid.objects.order_by("?")[:20]:
        point = grid.boundary.point_on_surface
        assert grid_at(point).pk == grid.pk


def test_a_point_on_a_shared_border_goes_to_the_lowest_code_every_time():
    point, low, high = shared_border_point()
    assert {g.code for g in Grid.objects.filter(boundary__covers=point)} == {low, high}
    assert {grid_at(point).code for _ in range(3)} == {low}


def test_a_point_on_the_district_boundary_belongs_to_a_grid():
    with connection.cursor() as cursor:
        cursor.execute(
            "select st_astext(st_pointn(st_exteriorring(st_geometryn(boundary, 1)), 1)) from grids_center "
            "where level = 'district'"
        )
        x, y = _xy(cursor.fetchone()[0])
    assert grid_at(Point(x, y, srid=4326)).center.parent.parent.level == "district"


def test_a_point_outside_every_grid_is_a_clear_error():
    outside = Point(104.0657, 30.6595, srid=4326)  # central Chengdu, outside Wenjiang
    with translation.override("en"), pytest.raises(GridNotFound, match=r"No grid holds the point \(30.659500"):
        grid_at(outside)
    with translation.override("zh-hans"), pytest.raises(GridNotFound, match="不在任何网格范围内"):
        grid_at(outside)


@pytest.mark.parametrize(
    ("lat", "lng"), [("abc", "103.8"), ("91", "103.8"), ("30.7", "-181"), (None, "1"), ("nan", "1")]
)
def test_bad_coordinates_are_refused(lat, lng):
    with pytest.raises(BadCoordinates):
        point_from_lat_lng(lat, lng)


def test_locate_api_answers_the_grid(api):
    grid = Grid.objects.get(code="510115001001001")
    point = grid.boundary.point_on_surface
    response = api.as_user("duty").get("/api/grids/locate/", {"lat": point.y, "lng": point.x})
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "Feature"
    assert body["properties"]["code"] == grid.code
    assert body["properties"]["center"]["name"] == grid.center.name


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "abc", "lng": "103.83"}, "detail"),
        ({"lat": "95", "lng": "103.83"}, "detail"),
        ({"lat": "30.69", "lng": "200"}, "detail"),
        ({"lat": "30.69"}, "lng"),
        ({}, "lat"),
    ],
)
def test_locate_api_answers_400_with_a_message_for_bad_input(api, params, field):
    response = api.as_user("duty").get("/api/grids/locate/", params)
    assert response.status_code == 400
    assert response.json()[field]


def test_locate_api_answers_404_outside_every_grid(api):
    response = api.as_user("duty").get(
        "/api/grids/locate/", {"lat": 30.6595, "lng": 104.0657}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 404
    assert "No grid holds the point" in response.json()["detail"]


def test_locate_api_answers_404_for_a_grid_outside_the_users_scope(api):
    grid = Grid.objects.filter(center__parent__name="永宁街道").first()
    point = grid.boundary.point_on_surface
    assert api.as_user("duty").get("/api/grids/locate/", {"lat": point.y, "lng": point.x}).status_code == 200
    assert api.as_user("liucheng").get("/api/grids/locate/", {"lat": point.y, "lng": point.x}).status_code == 404
