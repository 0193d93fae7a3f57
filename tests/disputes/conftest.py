"""Helpers to take disputes in and drive them through mediation as the demo users."""

import uuid

import pytest

from accounts.models import User
from disputes import clocks as dispute_clocks
from disputes import services
from disputes.models import Dispute, DisputeType
from grids.models import Grid

ID_APPLICANT = "510115198001010013"  # check digit valid (GB 11643)


@pytest.fixture(autouse=True)
def disputes_media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def disputes_round_the_clock(db):
    """Limits counted in working time use the center's calendar; these tests count round the clock
    (calendars have tests of their own)."""
    from grids.models import Center

    Center.objects.update(calendar=None)
    dispute_clocks.limits_changed()
    yield
    dispute_clocks.limits_changed()


@pytest.fixture
def user():
    return lambda username: User.objects.get(username=username)


@pytest.fixture
def neighbour_type(db):
    return DisputeType.objects.get(code="neighbour-nuisance")


@pytest.fixture
def hangtian_point(db):
    return Grid.objects.get(code="510115001001001").boundary.point_on_surface


def parties(**overrides):
    rows = [
        {
            "role": "applicant",
            "name": "李秀英",
            "sex": "F",
            "birth_year": 1980,
            "phone": "13800001111",
            "address": "航天路88号3单元",
            "id_number": ID_APPLICANT,
        },
        {"role": "respondent", "name": "王建国", "sex": "M", "birth_year": 1975, "phone": "13900002222"},
    ]
    return rows


@pytest.fixture
def take_in(db, neighbour_type, hangtian_point):
    def make(username="hangtianlu", **overrides) -> Dispute:
        kwargs = dict(
            reporter=User.objects.get(username=username),
            type_id=neighbour_type.pk,
            title="楼上漏水纠纷",
            facts="楼上住户卫生间漏水，楼下天花板受损，双方就维修费用协商未果。",
            claims="申请人要求被申请人赔偿维修费3000元。",
            lat=hangtian_point.y,
            lng=hangtian_point.x,
            client_id=str(uuid.uuid4()),
            intake="walk_in",
            parties=parties(),
            address="航天路88号",
            amount="3000",
            people=2,
        )
        kwargs.update(overrides)
        dispute, _ = services.dispute_report(**kwargs)
        return dispute

    return make


@pytest.fixture
def act(db):
    def run(dispute, action, username, **params):
        return services.dispute_transition(
            dispute_id=dispute.pk, action=action, actor=User.objects.get(username=username), **params
        )

    return run
