"""Rows the force tests build on: events reported through the events services at a grid's point,
patrols made with the ORM (the force app only reads them), volunteers with accounts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Role, User
from events import services as events
from events.models import Event, EventCategory
from grids.models import Grid, Volunteer, VolunteerOrganization
from grids.services import id_number_check_digit, volunteer_register
from patrols.models import Patrol

_serial = iter(range(1, 10**6))


def valid_id(birth: str = "19800101") -> str:
    first17 = f"510115{birth}{next(_serial) % 1000:03d}"
    return first17 + id_number_check_digit(first17)


def report_in(grid: Grid, reporter: User, *, code: str = "sa-garbage", **extra) -> Event:
    point = grid.boundary.point_on_surface
    event, _ = events.event_report(
        reporter=reporter,
        category_id=EventCategory.objects.get(code=code).pk,
        description="楼道堆放杂物",
        lat=point.y,
        lng=point.x,
        client_id=str(uuid.uuid4()),
        **extra,
    )
    return event


def volunteer_account(grid: Grid, *, username: str | None = None) -> User:
    """A volunteer account of `grid`'s community with its real-name record registered to `grid`."""
    username = username or f"v{next(_serial)}"
    user = User.objects.create_user(username=username, password="x", role=Role.VOLUNTEER, center=grid.center)
    organization = VolunteerOrganization.objects.filter(center=grid.center.parent).order_by("pk").first()
    volunteer_register(
        real_name=f"测试{username}",
        phone="13800000000",
        id_number=valid_id(),
        organization=organization,
        grid=grid,
        user=user,
    )
    return user


def patrol(
    user: User,
    grid: Grid,
    *,
    state: str = "ended",
    check_ins: int = 2,
    distance_m: int = 1200,
    started_at: datetime | None = None,
) -> Patrol:
    started = started_at or timezone.now() - timedelta(hours=2)
    return Patrol.objects.create(
        user=user,
        grid=grid,
        center=grid.center,
        state=state,
        started_at=started,
        ended_at=None if state == "active" else started + timedelta(hours=1),
        distance_m=distance_m,
        check_in_count=check_ins,
    )


def volunteer_of(user: User) -> Volunteer:
    return Volunteer.objects.get(user=user)
