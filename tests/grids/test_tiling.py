"""The demo tiling's building blocks, without a database."""

import random

import pytest

from grids.demo.seed import _largest_remainder
from grids.demo.tiling import Lattice, grow_regions, spread_seeds


def neighbours(cell):
    i, j = cell
    return [(i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)]


def is_connected(cells):
    cells = set(cells)
    start = next(iter(cells))
    seen, todo = {start}, [start]
    while todo:
        for nb in neighbours(todo.pop()):
            if nb in cells and nb not in seen:
                seen.add(nb)
                todo.append(nb)
    return seen == cells


@pytest.mark.parametrize("seed", range(5))
def test_grow_regions_partitions_into_connected_nonempty_regions(seed):
    rng = random.Random(seed)
    # An L-shaped region: a non-convex domain where plain Voronoi cells could fall apart.
    cells = {(i, j) for i in range(30) for j in range(30) if i < 10 or j < 10}
    seeds = spread_seeds(rng, sorted(cells), 12)
    regions = grow_regions(rng, cells, seeds, [rng.uniform(0.5, 1.5) for _ in seeds])
    assert len(regions) == 12
    assert sum(len(r) for r in regions) == len(cells)
    assert set().union(*map(set, regions)) == cells
    for seed_cell, region in zip(seeds, regions, strict=True):
        assert seed_cell in region
        assert is_connected(region)


def test_spread_seeds_are_distinct_and_refuse_overfill():
    rng = random.Random(1)
    cells = [(i, 0) for i in range(10)]
    assert len(set(spread_seeds(rng, cells, 10))) == 10
    with pytest.raises(ValueError):
        spread_seeds(rng, cells, 11)


def test_neighbouring_cells_share_corner_coordinates_exactly():
    lattice = Lattice(random.Random(0), 0)
    a, b = lattice.cell_polygon((3, 4)), lattice.cell_polygon((4, 4))
    # a's right edge is b's left edge, bit for bit.
    assert a.coords[0][1] == b.coords[0][0] and a.coords[0][2] == b.coords[0][3]
    union = lattice.union([(3, 4), (4, 4), (4, 5)])
    assert union.geom_type == "MultiPolygon" and len(union) == 1
    assert union.area == pytest.approx(sum(lattice.cell_polygon(c).area for c in [(3, 4), (4, 4), (4, 5)]))


@pytest.mark.parametrize(
    ("total", "weights", "minimum"), [(481, [1.0, 2.5, 0.3, 7.0], 2), (107, [0.1] * 110, 0), (10, [1, 1, 1], 3)]
)
def test_largest_remainder_hits_the_total(total, weights, minimum):
    shares = _largest_remainder(total, weights, minimum)
    assert sum(shares) == total
    assert min(shares) >= minimum
