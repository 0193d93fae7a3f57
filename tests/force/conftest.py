"""Fixtures of the force tests: the demo's 航天路社区 and its people, limits counted round the clock."""

import pytest

from accounts.models import User
from events import clocks as event_clocks
from grids.models import Center, Grid


@pytest.fixture(autouse=True)
def force_round_the_clock(db):
    Center.objects.update(calendar=None)
    event_clocks.reference_changed()
    yield
    event_clocks.reference_changed()


@pytest.fixture
def user(db):
    return lambda username: User.objects.select_related("center").get(username=username)


@pytest.fixture
def grid1(db):
    """航天路社区's first grid: the demo grid worker's, the demo volunteer's community."""
    return Grid.objects.select_related("center").get(code="510115001001001")


@pytest.fixture
def grid2(db):
    return Grid.objects.select_related("center").get(code="510115001001002")


@pytest.fixture
def far_grid(db):
    """A grid of 永宁街道 (another town)."""
    return Grid.objects.select_related("center").filter(center__parent__name="永宁街道").order_by("code").first()
