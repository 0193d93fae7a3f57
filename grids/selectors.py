"""Reads of centers and grids that are more than a `.get()`."""

from __future__ import annotations

import json

from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Count
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from .choices import Level
from .models import Center, Grid


class GridNotFound(Exception):
    """No grid holds the point."""


class BadCoordinates(ValueError):
    """Coordinates that are not a point on Earth."""


def point_from_lat_lng(lat, lng) -> Point:
    """A WGS 84 point from user input; raises BadCoordinates with a message to show."""
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError):
        raise BadCoordinates(_("Latitude and longitude must be decimal numbers.")) from None
    if not (-90.0 <= lat_f <= 90.0):
        raise BadCoordinates(_("Latitude must be between -90 and 90."))
    if not (-180.0 <= lng_f <= 180.0):
        raise BadCoordinates(_("Longitude must be between -180 and 180."))
    return Point(lng_f, lat_f, srid=4326)


_GRID_AT_SQL = """
    SELECT g.id, g.code, g.name, g.kind, g.subtype, c.id, c.code, c.name, c.level, c.parent_id, c.path, c.depth,
           c.calendar_id
    FROM grids_grid g JOIN grids_center c ON c.id = g.center_id
    WHERE ST_Covers(g.boundary, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) AND c.path LIKE %s
    ORDER BY g.code LIMIT 1
"""


def grid_at(point: Point, *, within: str = "") -> Grid:
    """The grid that holds `point`, answered by PostGIS over the boundary's spatial index.

    A point on the border of two grids belongs to both geometrically; the grid with the
    lowest code wins, so the answer is the same every time. Raises GridNotFound outside
    every grid. `within` narrows the search to a center's subtree (its path).

    One hand-written statement: this runs on every report, and building the same query with
    the ORM costs several times the lookup itself. The grid comes without its polygon."""
    with connection.cursor() as cursor:
        cursor.execute(_GRID_AT_SQL, (point.x, point.y, within.replace("%", "") + "%"))
        row = cursor.fetchone()
    if row is None:
        raise GridNotFound(_("No grid holds the point (%(lat).6f, %(lng).6f).") % {"lat": point.y, "lng": point.x})
    grid_id, code, name, kind, subtype, center_id, c_code, c_name, c_level, c_parent, c_path, c_depth, c_cal = row
    center = Center(
        id=center_id,
        code=c_code,
        name=c_name,
        level=c_level,
        parent_id=c_parent,
        path=c_path,
        depth=c_depth,
        calendar_id=c_cal,
    )
    return Grid(id=grid_id, code=code, name=name, kind=kind, subtype=subtype, center=center)


def area_summary(scope) -> dict:
    """Counts for a user's area: centers by level, grids by kind, grid workers and volunteers,
    and, for each child of the area's root, its communities and grids. A fixed number of
    queries, whatever the size of the area."""
    from accounts.models import Role, User

    from .models import Center, Volunteer

    centers_by_level = dict(scope.centers().values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    grids_by_kind = dict(scope.grids().values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    grid_workers = scope.filter_by_center(User.objects.filter(role=Role.GRID_WORKER, is_active=True)).count()
    volunteers = scope.filter_by_center(Volunteer.objects.filter(active=True), "grid__center").count()

    root_path = scope.center_path
    if scope.everything:
        roots = list(Center.objects.filter(parent__isnull=True).order_by("code"))
        root_path = roots[0].path if len(roots) == 1 else None
        children = roots
    if root_path:
        children = list(Center.objects.filter(parent__path=root_path).order_by("code"))
    elif not scope.everything:
        children = []
    rows = []
    if children:
        prefix_len = len(children[0].path)
        grid_counts = dict(
            scope.grids()
            .annotate(prefix=Substr("center__path", 1, prefix_len))
            .values_list("prefix")
            .annotate(n=Count("id"))
            .values_list("prefix", "n")
        )
        community_counts = dict(
            scope.centers()
            .filter(level="community")
            .annotate(prefix=Substr("path", 1, prefix_len))
            .values_list("prefix")
            .annotate(n=Count("id"))
            .values_list("prefix", "n")
        )
        rows = [
            {"center": c, "communities": community_counts.get(c.path, 0), "grids": grid_counts.get(c.path, 0)}
            for c in children
        ]
    return {
        "centers_by_level": centers_by_level,
        "grids_by_kind": grids_by_kind,
        "grids": sum(grids_by_kind.values()),
        "grid_workers": grid_workers,
        "volunteers": volunteers,
        "children": rows,
    }


def outline_geojson(geometry, tolerance: float = 0.00005) -> dict:
    """A boundary for a small map: simplified (about 5 m), as a GeoJSON geometry."""
    return json.loads(geometry.simplify(tolerance, preserve_topology=True).geojson)


def home_area_outlines(user) -> tuple[str, list[dict]]:
    """What a place-picking map shows of the user's own area: its extent ("minx,miny,maxx,maxy", or
    "" without one) and outlines — the center's, and in a community its grids (landmarks when there
    are no map tiles)."""
    center = user.center if user.center_id else None
    if center is None or not center.boundary:
        return "", []
    bounds = ",".join(f"{v:.6f}" for v in center.boundary.extent)
    outlines = [{"kind": "center", "name": center.name, "geometry": outline_geojson(center.boundary)}]
    if center.level == Level.COMMUNITY:
        outlines += [
            {"kind": "grid", "name": g.name, "geometry": outline_geojson(g.boundary)}
            for g in center.grids.order_by("code")
        ]
    return bounds, outlines
