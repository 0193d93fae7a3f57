"""Special-population records for tests, made through the services (as the demo makes them)."""

from __future__ import annotations

import itertools

from accounts.models import User
from care import services
from grids.models import Grid
from grids.services import id_number_check_digit

_serial = itertools.count(1)


def fake_id_number() -> str:
    """A checksum-valid number in an obviously fake range: region 510115, born 1900-01-01."""
    first17 = f"51011519000101{next(_serial) % 1000:03d}"
    return first17 + id_number_check_digit(first17)


def make_person(
    *,
    actor: User | None = None,
    grid: Grid | str = "510115001001001",
    person_type: str = "correction",
    risk: str = "low",
    department: str = "justice",
    workers: list[User] | None = None,
    team: list[dict] | None = None,
    name: str = "张小明",
    now=None,
    **extra,
):
    """A person in `grid` (its point on surface), by an administrator unless told otherwise."""
    grid = grid if isinstance(grid, Grid) else Grid.objects.get(code=grid)
    point = grid.boundary.point_on_surface
    data = {
        "person_type": person_type,
        "name": name,
        "id_number": fake_id_number(),
        "gender": "M",
        "birth_year": 1980,
        "lat": point.y,
        "lng": point.x,
        "department": department,
        "risk": risk,
        "workers": [w.pk for w in workers or []],
        "team": team or [],
        **extra,
    }
    return services.person_create(actor=actor or User.objects.get(username="admin"), data=data, now=now)
