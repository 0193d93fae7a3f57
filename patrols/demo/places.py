"""The demo grids' places: streets, compounds (小区/院落), buildings (楼栋) and entrances (单元), about
as many per community as 城武社区's volunteer walk counts (3 streets, 5 courtyards, 44 buildings, 125
entrances), spread over its comprehensive grids, every point inside its grid.

Bulk-created (≈19,000 rows: through a service one by one would take minutes for nothing the import
checks here), deterministic (a seeded random.Random, QR tokens included) and idempotent (skipped
when the places are there)."""

from __future__ import annotations

import random

from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.geos.prepared import PreparedGeometry  # noqa: F401 (typing only)

from grids.choices import GridKind, PlaceKind
from grids.models import Grid, Place

SEED = 20261401
STREETS_PER_GRID = (0, 1, 1)  # ≈3 per community of ~4.4 grids (streets are shared: some grids name none)
COMPOUNDS_PER_GRID = (1, 1, 1, 2)
BUILDINGS_PER_GRID = (8, 12)
ENTRANCES_PER_BUILDING = (2, 3, 3, 3)
STREET_WORDS = "光华学府凤溪南熏杨柳永宁万春涌泉天府金马和盛寿安花都海科"
COMPOUND_WORDS = ("锦苑", "花园", "家园", "雅居", "新村", "小区", "院落", "公寓")
METRES_PER_DEGREE = 111_320.0


def _token(rng: random.Random) -> str:
    return "demo" + "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(12))


def _inside(rng: random.Random, prepared, extent, near: Point | None = None, spread_m: float = 0.0) -> Point:
    """A point inside the grid (`prepared`), near `near` within `spread_m` metres when given."""
    x0, y0, x1, y1 = extent
    for _ in range(60):
        if near is not None:
            dx = rng.uniform(-spread_m, spread_m) / METRES_PER_DEGREE / 0.86  # cos(30.7°)
            dy = rng.uniform(-spread_m, spread_m) / METRES_PER_DEGREE
            point = Point(near.x + dx, near.y + dy, srid=4326)
        else:
            point = Point(rng.uniform(x0, x1), rng.uniform(y0, y1), srid=4326)
        if prepared.covers(point):
            return point
    return near if near is not None else Point(*prepared_centroid(extent), srid=4326)


def prepared_centroid(extent) -> tuple[float, float]:
    return (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2


def _square(center: Point, half_m: float) -> Polygon:
    dx, dy = half_m / METRES_PER_DEGREE / 0.86, half_m / METRES_PER_DEGREE
    x, y = center.x, center.y
    return Polygon(
        ((x - dx, y - dy), (x + dx, y - dy), (x + dx, y + dy), (x - dx, y + dy), (x - dx, y - dy)), srid=4326
    )


def seed_places(log) -> None:
    if Place.objects.exists():
        log("places: already there")
        return
    rng = random.Random(SEED)
    grids = list(Grid.objects.filter(kind=GridKind.COMPREHENSIVE).select_related("center").order_by("code"))
    # Three levels: parents are created first, so the rows are made level by level.
    streets, compounds, buildings, entrances = [], [], [], []
    plan: list[tuple[Grid, list]] = []
    for grid in grids:
        prepared = grid.boundary.prepared
        extent = grid.boundary.extent
        community = grid.center.name
        made = []
        for s in range(rng.choice(STREETS_PER_GRID)):
            word = rng.choice(STREET_WORDS) + rng.choice(STREET_WORDS)
            point = _inside(rng, prepared, extent)
            street = Place(
                grid=grid,
                kind=PlaceKind.STREET,
                code=f"S{s + 1}",
                name=f"{word}路",
                address=f"{community}{word}路",
                point=point,
                qr_token=_token(rng),
            )
            streets.append(street)
        for c in range(rng.choice(COMPOUNDS_PER_GRID)):
            centre = _inside(rng, prepared, extent)
            word = rng.choice(STREET_WORDS) + rng.choice(COMPOUND_WORDS)
            compound = Place(
                grid=grid,
                kind=PlaceKind.COMPOUND,
                code=f"C{c + 1}",
                name=word,
                address=f"{community}{word}",
                point=centre,
                outline=_square(centre, 90),
                qr_token=_token(rng),
            )
            compounds.append(compound)
            made.append((compound, []))
        per_compound = rng.randint(*BUILDINGS_PER_GRID)
        for compound, children in made:
            for b in range(per_compound // len(made)):
                point = _inside(rng, prepared, extent, near=compound.point, spread_m=80)
                building = Place(
                    grid=grid,
                    kind=PlaceKind.BUILDING,
                    code=f"{compound.code}-B{b + 1}",
                    name=f"{compound.name}{b + 1}栋",
                    address=f"{compound.address}{b + 1}栋",
                    point=point,
                    qr_token=_token(rng),
                )
                buildings.append(building)
                children.append(building)
                for e in range(rng.choice(ENTRANCES_PER_BUILDING)):
                    entrances.append(
                        (
                            building,
                            Place(
                                grid=grid,
                                kind=PlaceKind.ENTRANCE,
                                code=f"{building.code}-U{e + 1}",
                                name=f"{building.name}{e + 1}单元",
                                address=f"{building.address}{e + 1}单元",
                                point=_inside(rng, prepared, extent, near=point, spread_m=12),
                                qr_token=_token(rng),
                            ),
                        )
                    )
        plan.append((grid, made))
    Place.objects.bulk_create(streets + compounds, batch_size=2000)
    for _grid, made in plan:
        for compound, children in made:
            for building in children:
                building.parent = compound
    Place.objects.bulk_create(buildings, batch_size=2000)
    for building, entrance in entrances:
        entrance.parent = building
    Place.objects.bulk_create([e for _b, e in entrances], batch_size=2000)
    log(
        f"places: {len(streets)} streets, {len(compounds)} compounds, {len(buildings)} buildings, "
        f"{len(entrances)} entrances in {len(grids)} grids"
    )
