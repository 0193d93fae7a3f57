"""A year of patrols for the demo: the grid workers walk their plans about twice a week, a tenth of
the volunteers (by organisation) walk their organisation's route every other week; each patrol has a
track of 20–30 points along the places it visited and a check-in at each. The periods that ended
uncovered are recorded as missed patrols, as the plans' sweep would have.

≈ 75,000 patrols and ≈ 1.9 million track points: through the services one by one this would take
hours, so the rows are bulk-written (patrols with bulk_create, track points and check-ins with COPY),
with the values the services would have written (distance along the track, check-in count, last
position). Deterministic (a seeded random.Random, dates counted back from the day it runs) and
idempotent (skipped once there are past patrols). No `patrol_ended` signal is sent for them: what
follows from them (the volunteers' points) is computed by the demo step that needs it."""

from __future__ import annotations

import io
import random
import uuid
from datetime import datetime, time, timedelta
from itertools import pairwise

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from clocks.calendars import SHANGHAI
from grids.models import Grid, Volunteer, VolunteerOrganization
from patrols.choices import Period
from patrols.domain import periods
from patrols.models import MissedPatrol, Patrol, PatrolPlan
from patrols.services import plan_create

from .plans import route_of

SEED = 20261402
NAMESPACE = uuid.UUID("6b1f4a4e-2b53-4d0e-9a55-7a1c0c5e1402")  # the demo patrols' client ids: uuid5(NAMESPACE, n)
VOLUNTEER_SHARE = 0.10
WORKER_WEEKLY = ((2, 0.68), (1, 0.17), (3, 0.08), (0, 0.07))
VOLUNTEER_FORTNIGHT = 0.8  # a volunteer's chance of walking in a given fortnight
POINTS = (20, 30)
BATCH = 5000


def seed_volunteer_plans(log, rng: random.Random, now: datetime) -> None:
    """Accounts for a tenth of each organisation's volunteers (demo password) and one fortnightly
    plan per organisation over a grid where its members live."""
    if PatrolPlan.objects.filter(organization__isnull=False).exists():
        return
    from grids.demo.seed import DEMO_PASSWORD

    password = make_password(DEMO_PASSWORD)
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    places_by_grid: dict[int, list[tuple[int, str]]] = {}
    from grids.models import Place

    for pk, grid_id, kind in (
        Place.objects.filter(kind__in=("compound", "building", "street"), active=True)
        .order_by("grid_id", "kind", "code")
        .values_list("pk", "grid_id", "kind")
    ):
        places_by_grid.setdefault(grid_id, []).append((pk, kind))
    grid_center = dict(Grid.objects.values_list("pk", "center_id"))
    made_users = made_plans = 0
    for organization in VolunteerOrganization.objects.order_by("pk"):
        members = list(
            Volunteer.objects.filter(organization=organization, active=True, user__isnull=True, grid__isnull=False)
            .order_by("pk")
            .values_list("pk", "grid_id")
        )
        chosen = sorted(rng.sample(members, max(1, round(len(members) * VOLUNTEER_SHARE)))) if members else []
        if not chosen:
            continue
        users = User.objects.bulk_create(
            [
                User(
                    username=f"hx{pk:05d}",
                    role=Role.VOLUNTEER,
                    center_id=grid_center[grid_id],
                    password=password,
                )
                for pk, grid_id in chosen
            ],
            ignore_conflicts=True,
        )
        by_name = dict(User.objects.filter(username__in=[u.username for u in users]).values_list("username", "pk"))
        for pk, _grid in chosen:
            Volunteer.objects.filter(pk=pk, user__isnull=True).update(user_id=by_name[f"hx{pk:05d}"])
        made_users += len(chosen)
        grids = [g for _pk, g in chosen]
        home = max(sorted(set(grids)), key=grids.count)
        route = route_of(home, places_by_grid)
        if not route:
            continue
        plan_create(
            actor=admin,
            name=f"{organization.name}巡逻",
            grid_id=home,
            organization_id=organization.pk,
            period=Period.FORTNIGHT,
            patrols_per_period=2,
            place_ids=route[:10],
            assignee_ids=list(by_name.values()),
            now=now,
        )
        made_plans += 1
    log(f"volunteer patrol plans: {made_plans}, for {made_users} volunteer accounts")


def _track(rng: random.Random, stops: list[tuple[float, float]], start: datetime, minutes: float):
    """Points along the stops (lat, lng), with a little GPS noise, evenly in time; and the distance."""
    n = rng.randint(*POINTS)
    legs = max(1, len(stops) - 1)
    points = []
    for k in range(n):
        f = k / (n - 1) * legs
        i = min(int(f), legs - 1) if len(stops) > 1 else 0
        a, b = stops[i], stops[min(i + 1, len(stops) - 1)]
        t = f - i
        lat = a[0] + (b[0] - a[0]) * t + rng.gauss(0, 0.00002)
        lng = a[1] + (b[1] - a[1]) * t + rng.gauss(0, 0.00002)
        points.append((start + timedelta(minutes=minutes * k / (n - 1)), lat, lng, round(rng.uniform(4, 25), 1)))
    walked = sum(periods.distance_m(p[1], p[2], q[1], q[2]) for p, q in pairwise(points))
    return points, round(walked)


def _copy(table: str, columns: str, rows: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO("".join(rows)))


def seed_patrol_year(log, *, end: datetime | None = None) -> None:
    if Patrol.objects.filter(client_id=uuid.uuid5(NAMESPACE, "0")).exists():
        log("patrols: already there")
        return
    started = timezone.now()
    end = (end or timezone.now()).astimezone(SHANGHAI)
    rng = random.Random(SEED)
    seed_volunteer_plans(log, rng, end)
    first_day = (end - timedelta(days=365)).date()
    plans = list(PatrolPlan.objects.filter(active=True).select_related("grid").defer("grid__boundary").order_by("pk"))
    stops: dict[int, list[tuple[int, float, float]]] = {}
    for plan in plans:
        stops[plan.pk] = [
            (s.place_id, s.place.point.y, s.place.point.x) for s in plan.stops.select_related("place").order_by("order")
        ]
    assignees: dict[int, list[int]] = {}
    for plan_id, user_id, username in PatrolPlan.assignees.through.objects.values_list(
        "patrolplan_id", "user_id", "user__username"
    ).order_by("patrolplan_id", "user__username"):
        # A grid's plan is walked by its own grid worker (gw<code>); the demo's shared accounts
        # ("gridworker", "volunteer") are left free to try.
        if username not in ("gridworker", "volunteer"):
            assignees.setdefault(plan_id, []).append(user_id)
    # Each patrol: (plan, user, start, minutes, visited stops)
    walks: list[tuple[PatrolPlan, int, datetime, float, list]] = []
    for plan in plans:
        route = stops[plan.pk]
        people = assignees.get(plan.pk, [])
        if not route or not people:
            continue
        if plan.organization_id is None:
            day = first_day - timedelta(days=first_day.weekday())
            while day < end.date():
                n = rng.choices([c for c, _ in WORKER_WEEKLY], [w for _, w in WORKER_WEEKLY])[0]
                for _ in range(n):
                    walks.append((plan, people[0], *_when(rng, day, 5), _visit(rng, route)))
                day += timedelta(days=7)
        else:
            span = periods.span_of(periods.FORTNIGHT, first_day)
            while span.first < end.date():
                for user_id in people:
                    if rng.random() < VOLUNTEER_FORTNIGHT:
                        walks.append((plan, user_id, *_when(rng, span.first, 14, evening=True), _visit(rng, route)))
                span = periods.next_span(periods.FORTNIGHT, span)
    walks = [w for w in walks if w[2] + timedelta(minutes=w[3]) < end and w[2].date() >= first_day]
    walks.sort(key=lambda w: w[2])
    log(f"patrols: writing {len(walks)} …")
    points_written = check_ins_written = 0
    for start in range(0, len(walks), BATCH):
        chunk = walks[start : start + BATCH]
        rows = []
        tracks = []
        for n, (plan, user_id, at, minutes, visited) in enumerate(chunk, start=start):
            track, walked = _track(rng, [(lat, lng) for _pk, lat, lng in visited], at, minutes)
            tracks.append((track, visited, minutes))
            last = track[-1]
            rows.append(
                Patrol(
                    client_id=uuid.uuid5(NAMESPACE, str(n)),
                    user_id=user_id,
                    plan_id=plan.pk,
                    grid_id=plan.grid_id,
                    center_id=plan.center_id,
                    state="ended",
                    started_at=at,
                    ended_at=at + timedelta(minutes=minutes),
                    distance_m=walked,
                    check_in_count=len(visited),
                    point_count=len(track),
                    last_point=f"SRID=4326;POINT({last[2]} {last[1]})",
                    last_at=last[0],
                )
            )
        made = Patrol.objects.bulk_create(rows)
        track_rows, check_rows = [], []
        for patrol, (track, visited, minutes) in zip(made, tracks, strict=True):
            for seq, (at, lat, lng, accuracy) in enumerate(track):
                track_rows.append(
                    f"{patrol.pk}\t{seq}\t{at.isoformat()}\tSRID=4326;POINT({lng:.7f} {lat:.7f})\t{accuracy}\n"
                )
            step = minutes / max(1, len(visited))
            for k, (place_id, lat, lng) in enumerate(visited):
                at = patrol.started_at + timedelta(minutes=step * k + step / 2)
                method = "qr" if rng.random() < 0.3 else "tap"
                distance = rng.randint(3, 40)
                where = f"SRID=4326;POINT({lng:.7f} {lat:.7f})"
                check_rows.append(f"{patrol.pk}\t{place_id}\t{at.isoformat()}\t{method}\t{where}\t{distance}\n")
        _copy("patrols_trackpoint", "patrol_id, seq, at, point, accuracy", track_rows)
        _copy("patrols_checkin", "patrol_id, place_id, at, method, point, distance_m", check_rows)
        points_written += len(track_rows)
        check_ins_written += len(check_rows)
    missed = _missed_periods(plans, walks, stops, first_day, end)
    log(
        f"patrols: {len(walks)} over the year, {points_written} track points, {check_ins_written} check-ins, "
        f"{missed} missed periods, in {(timezone.now() - started).total_seconds():.0f} s"
    )


def _when(rng: random.Random, first: datetime, days: int, evening: bool = False) -> tuple[datetime, float]:
    """A start on a day of the span (working days mostly for grid workers) and a duration."""
    day = first + timedelta(days=rng.randrange(days))
    if not evening and day.weekday() >= 5 and rng.random() < 0.8:
        day -= timedelta(days=day.weekday() - 4)
    hour = rng.choice((9, 10, 14, 15, 16)) if not evening else rng.choice((9, 15, 19, 20))
    at = datetime.combine(day, time(hour, rng.randrange(60)), SHANGHAI)
    return at, rng.uniform(35, 90)


def _visit(rng: random.Random, route: list) -> list:
    """The stops a patrol checks in at: most of the route, in its order."""
    if rng.random() < 0.8:
        return list(route)
    keep = sorted(rng.sample(range(len(route)), max(1, round(len(route) * rng.uniform(0.5, 0.9)))))
    return [route[i] for i in keep]


def _missed_periods(plans, walks, stops, first_day, end) -> int:
    """The periods of the year that ended uncovered, as the sweep records them (once per plan and
    period)."""
    done: dict[tuple[int, object], list] = {}
    for plan, _user, at, _minutes, visited in walks:
        span = periods.span_of(plan.period, at)
        entry = done.setdefault((plan.pk, span.first), [0, set()])
        entry[0] += 1
        entry[1].update(pk for pk, _lat, _lng in visited)
    rows = []
    now = timezone.now()
    for plan in plans:
        if not stops.get(plan.pk):
            continue
        span = periods.span_of(plan.period, first_day)
        while span.end <= end:
            count, checked = done.get((plan.pk, span.first), [0, set()])
            due = len(stops[plan.pk])
            if not periods.covered(
                patrols_done=count,
                patrols_expected=plan.patrols_per_period,
                places_checked=len(checked),
                places_due=due,
            ):
                rows.append(
                    MissedPatrol(
                        plan=plan,
                        period_start=span.start,
                        period_end=span.end,
                        patrols_expected=plan.patrols_per_period,
                        patrols_done=count,
                        places_due=due,
                        places_checked=len(checked),
                        recorded_at=span.end if span.end < now else now,
                    )
                )
            span = periods.next_span(plan.period, span)
    MissedPatrol.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)
