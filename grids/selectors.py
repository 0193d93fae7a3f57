"""Reads of centers and grids that are more than a `.get()`."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from .models import Grid


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


def grid_at(point: Point, *, grids=None) -> Grid:
    """The grid that holds `point`, answered by PostGIS over the boundary's spatial index.

    A point on the border of two grids belongs to both geometrically; the grid with the
    lowest code wins, so the answer is the same every time. Raises GridNotFound outside
    every grid. `grids` narrows the search (e.g. to a user's scope).
    """
    queryset = Grid.objects.all() if grids is None else grids
    grid = queryset.filter(boundary__covers=point).select_related("center").order_by("code").first()
    if grid is None:
        raise GridNotFound(_("No grid holds the point (%(lat).6f, %(lng).6f).") % {"lat": point.y, "lng": point.x})
    return grid
