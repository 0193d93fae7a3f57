"""Helpers to report events and drive them through the workflow as the demo users."""

import uuid

import pytest

from accounts.models import User
from events import clocks as event_clocks
from events import services
from events.models import Event, EventCategory
from grids.models import Department, Grid


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def round_the_clock(db):
    """The workflow tests count limits round the clock (calendars have tests of their own)."""
    from grids.models import Center

    Center.objects.update(calendar=None)
    event_clocks.reference_changed()
    yield
    event_clocks.reference_changed()


@pytest.fixture
def hangtianlu_point(db):
    grid = Grid.objects.get(code="510115001001001")
    return grid.boundary.point_on_surface


@pytest.fixture
def category(db):
    return EventCategory.objects.get(code="sa-garbage")


@pytest.fixture
def dept(db):
    return lambda code: Department.objects.get(code=code)


@pytest.fixture
def report(db, hangtianlu_point, category):
    def make(username="gridworker", **overrides) -> Event:
        kwargs = dict(
            reporter=User.objects.get(username=username),
            category_id=category.pk,
            description="路边垃圾堆放三天未清运",
            lat=hangtianlu_point.y,
            lng=hangtianlu_point.x,
            client_id=str(uuid.uuid4()),
            address="航天路88号",
        )
        kwargs.update(overrides)
        event, _ = services.event_report(**kwargs)
        return event

    return make


@pytest.fixture
def act(db):
    def run(event, username, action, **params) -> Event:
        params.setdefault("reason", "测试原因")
        return services.event_transition(
            event_id=event.pk, action=action, actor=User.objects.get(username=username), **params
        )

    return run


@pytest.fixture
def drive(report, act, dept):
    """An event of 航天路社区 brought to `state` by the usual path."""

    def to(state: str) -> Event:
        police, chengguan = dept("police").pk, dept("urban-management").pk
        event = report()
        steps = {
            "reported": [],
            "accepted": [("hangtianlu", "accept", {})],
            "self_handled": [("hangtianlu", "accept", {}), ("hangtianlu", "self_handle", {})],
            "dispatched": [
                ("hangtianlu", "accept", {}),
                ("hangtianlu", "dispatch", {"lead_department": police, "departments": [chengguan]}),
            ],
            "in_progress": [
                ("hangtianlu", "accept", {}),
                ("hangtianlu", "dispatch", {"lead_department": police}),
                ("police", "sign", {}),
            ],
            "handled": [
                ("hangtianlu", "accept", {}),
                ("hangtianlu", "dispatch", {"lead_department": police}),
                ("police", "sign", {}),
                ("police", "handle", {}),
            ],
            "verifying": [
                ("hangtianlu", "accept", {}),
                ("hangtianlu", "dispatch", {"lead_department": police}),
                ("police", "sign", {}),
                ("police", "handle", {}),
                ("hangtianlu", "dispatch", {"assignee": User.objects.get(username="gridworker").pk}),
            ],
            "closed": [
                ("hangtianlu", "accept", {}),
                ("hangtianlu", "self_handle", {}),
                ("hangtianlu", "verify_pass", {}),
            ],
            "rejected": [("hangtianlu", "reject", {})],
            "merged": [("hangtianlu", "merge", {"merge_into": lambda: report().pk})],
            "suspended": [("hangtianlu", "accept", {}), ("hangtianlu", "suspend", {})],
        }[state]
        for username, action, params in steps:
            params = {k: v() if callable(v) else v for k, v in params.items()}  # made only when needed
            event = act(event, username, action, **params)
        assert event.state == state
        return event

    return to
