"""Deterministic demo boundaries that tile exactly: district ⊃ towns ⊃ communities ⊃ grids.

The district is a set of cells of a lattice whose vertices are jittered once, so neighbouring
cells share their corner coordinates bit for bit. Each level is carved out of the one above
by growing regions from seeds over the cells (nearest seed by weighted distance, claimed
through edge neighbours, so every region is connected), and every polygon is the union of
its cells. Shared borders are therefore identical in both neighbours: no gaps, no overlaps,
and every grid lies inside its community, without any tolerance.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon

Cell = tuple[int, int]

CENTER_LNG, CENTER_LAT = 103.834, 30.695
# About 105 m by 105 m at this latitude.
STEP_LNG, STEP_LAT = 0.0011, 0.00095
KM_PER_DEG_LAT = 111.2
KM_PER_DEG_LNG = KM_PER_DEG_LAT * math.cos(math.radians(CENTER_LAT))
CELL_KM2 = (STEP_LNG * KM_PER_DEG_LNG) * (STEP_LAT * KM_PER_DEG_LAT)


@dataclass
class Lattice:
    """Cell (i, j) has corners at vertices (i, j) … (i + 1, j + 1); (0, 0) is the district centroid."""

    rng: random.Random
    half: int

    def __post_init__(self) -> None:
        self._vertex: dict[tuple[int, int], tuple[float, float]] = {}

    def vertex(self, i: int, j: int) -> tuple[float, float]:
        key = (i, j)
        if key not in self._vertex:
            # Seeded per vertex so the jitter does not depend on the order of the calls.
            r = random.Random(hash((i, j, 7919)) ^ 0x5EED)
            jx, jy = r.uniform(-0.28, 0.28), r.uniform(-0.28, 0.28)
            self._vertex[key] = (
                round(CENTER_LNG + (i + jx) * STEP_LNG, 7),
                round(CENTER_LAT + (j + jy) * STEP_LAT, 7),
            )
        return self._vertex[key]

    def cell_polygon(self, cell: Cell) -> Polygon:
        i, j = cell
        ring = [self.vertex(i, j), self.vertex(i + 1, j), self.vertex(i + 1, j + 1), self.vertex(i, j + 1)]
        return Polygon([*ring, ring[0]], srid=4326)

    def union(self, cells: Iterable[Cell]) -> MultiPolygon:
        return as_multipolygon(MultiPolygon([self.cell_polygon(c) for c in cells], srid=4326).unary_union)

    @staticmethod
    def cell_center_km(cell: Cell) -> tuple[float, float]:
        return ((cell[0] + 0.5) * STEP_LNG * KM_PER_DEG_LNG, (cell[1] + 0.5) * STEP_LAT * KM_PER_DEG_LAT)

    def cell_at_km(self, x_km: float, y_km: float) -> Cell:
        return (math.floor(x_km / (STEP_LNG * KM_PER_DEG_LNG)), math.floor(y_km / (STEP_LAT * KM_PER_DEG_LAT)))


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    if geom.geom_type == "MultiPolygon":
        geom.srid = 4326
        return geom
    if geom.geom_type == "Polygon":
        return MultiPolygon([geom], srid=4326)
    raise ValueError(f"expected polygons, got {geom.geom_type}")


def district_cells(rng: random.Random, area_km2: float) -> set[Cell]:
    """A blob around the centroid, elongated east–west, whose area is `area_km2`."""
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]

    def radius(theta: float) -> float:
        return (
            1.0
            + 0.16 * math.sin(2 * theta + phases[0])
            + 0.09 * math.sin(3 * theta + phases[1])
            + 0.05 * math.sin(5 * theta + phases[2])
        )

    target = area_km2 / CELL_KM2
    scale = 9.0  # km, refined below so the area comes out right
    for _ in range(6):
        cells = _blob(scale, radius)
        scale *= math.sqrt(target / len(cells))
    return _blob(scale, radius)


def _blob(scale: float, radius) -> set[Cell]:
    ax, ay = 1.35, 0.75  # east–west elongation
    lim_x = int(scale * ax * 1.4 / (STEP_LNG * KM_PER_DEG_LNG)) + 2
    lim_y = int(scale * ay * 1.4 / (STEP_LAT * KM_PER_DEG_LAT)) + 2
    cells = set()
    for i in range(-lim_x, lim_x):
        for j in range(-lim_y, lim_y):
            x, y = Lattice.cell_center_km((i, j))
            u, v = x / ax, y / ay
            if math.hypot(u, v) <= scale * radius(math.atan2(v, u)):
                cells.add((i, j))
    return cells


def spread_seeds(rng: random.Random, cells: Sequence[Cell], count: int, candidates: int = 12) -> list[Cell]:
    """`count` distinct cells spread evenly over `cells` (Mitchell's best-candidate sampling)."""
    if count > len(cells):
        raise ValueError(f"{count} seeds do not fit in {len(cells)} cells")
    chosen: list[Cell] = [rng.choice(cells)]
    taken = {chosen[0]}
    while len(chosen) < count:
        best, best_d = None, -1.0
        for _ in range(candidates):
            c = rng.choice(cells)
            if c in taken:
                continue
            d = min((c[0] - s[0]) ** 2 + (c[1] - s[1]) ** 2 for s in chosen)
            if d > best_d:
                best, best_d = c, d
        if best is not None:
            chosen.append(best)
            taken.add(best)
    return chosen


def grow_regions(
    rng: random.Random, cells: set[Cell], seeds: Sequence[Cell], weights: Sequence[float]
) -> list[list[Cell]]:
    """Splits `cells` among `seeds`: each cell goes to the seed that reaches it first, where a
    seed's reach is its distance divided by its weight (with a little noise), moving only
    between cells that share an edge, so that every region is connected and non-empty."""
    label: dict[Cell, int] = {}
    heap: list[tuple[float, float, Cell, int]] = [(0.0, rng.random(), s, k) for k, s in enumerate(seeds)]
    heapq.heapify(heap)
    while heap:
        _, _, cell, k = heapq.heappop(heap)
        if cell in label:
            continue
        label[cell] = k
        sx, sy = seeds[k]
        for nb in ((cell[0] + 1, cell[1]), (cell[0] - 1, cell[1]), (cell[0], cell[1] + 1), (cell[0], cell[1] - 1)):
            if nb in cells and nb not in label:
                d = math.hypot(nb[0] - sx, nb[1] - sy) / weights[k]
                heapq.heappush(heap, (d * rng.uniform(0.93, 1.07), rng.random(), nb, k))
    regions: list[list[Cell]] = [[] for _ in seeds]
    for cell, k in label.items():
        regions[k].append(cell)
    for region in regions:
        region.sort()
    return regions
