"""What the patrols tests start from: the demo's plans and places (seeded once per session), and
helpers that walk a patrol through the services."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from accounts.models import User
from patrols import services
from patrols.models import Patrol, PatrolPlan


def plan_of(username: str) -> PatrolPlan:
    """The demo plan a patroller is assigned to."""
    return PatrolPlan.objects.filter(assignees__username=username).select_related("center").order_by("pk").first()


def route(plan: PatrolPlan) -> list:
    return [s.place for s in plan.stops.select_related("place").order_by("order")]


def walk(
    user: User,
    plan: PatrolPlan | None,
    *,
    start: datetime,
    places=(),
    end: bool = True,
    minutes: int = 30,
) -> Patrol:
    """A patrol of `user` on `plan` started at `start`: a point at each place, a tap check-in at each,
    ended `minutes` later (or left active)."""
    patrol, _ = services.patrol_start(user=user, plan_id=plan.pk if plan else None, client_id=uuid.uuid4(), now=start)
    step = timedelta(minutes=minutes / max(1, len(places) + 1))
    at = start
    for i, place in enumerate(places):
        at = at + step
        services.patrol_track(
            user=user,
            patrol_id=patrol.pk,
            points=[{"seq": i, "at": at.isoformat(), "lat": place.point.y, "lng": place.point.x, "accuracy": 8}],
            now=at,
        )
        services.patrol_check_in(
            user=user, patrol_id=patrol.pk, place_id=place.pk, lat=place.point.y, lng=place.point.x, now=at
        )
    if end:
        services.patrol_end(user=user, patrol_id=patrol.pk, now=start + timedelta(minutes=minutes))
    patrol.refresh_from_db()
    return patrol
