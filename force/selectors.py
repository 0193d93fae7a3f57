"""Reads of the force app, each figure defined once for the pages, the API and the export.

Definitions (over a period [start, end), in the platform's time zone):
- points: the sum of a volunteer's ledger entries whose `at` falls in the period (a month for the
  rankings); equal points share a rank.
- a grid's events: events located in the grid and reported in the period, not rejected and not
  merged as duplicates (those are not events of their own).
- discovery rate (发现率) of a grid: its events first reported by its own force — a grid worker of
  the grid, one of its community police, or a volunteer registered to the grid — ÷ its events.
- a grid worker's own discovery rate: the events of their grids they reported ÷ those grids' events.
- reports: events reported by the worker in the period (whatever became of them).
- patrols: ended patrols started in the period (count, distance, check-ins).
- tasks: dispatches of an event to the worker (to handle or to verify on site) in the period.
- on-time rate: the events app's (events.selectors.dashboard_counts: closed by the deadline ÷ due),
  over the events given to the worker, or located in the grid.
Every function here runs a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import Role, User
from accounts.scope import EVERYTHING, GRID_WORK, OWN_REPORTS, SUBTREE, Scope, scope_for
from events.choices import Action, State
from events.models import Event, EventAction
from events.selectors import Period, dashboard_counts, dashboard_figures
from grids.models import Center, DutyItem, Grid, Volunteer, VolunteerOrganization

from .choices import PerformanceBy
from .domain import permissions
from .domain.points import rank
from .models import DutyCoverage, PointEntry, Recognition, VolunteerInvitation

NOT_EVENTS = (State.REJECTED, State.MERGED)


def month_period(month: date) -> Period:
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period.from_dates(first, last)


def this_month(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now()).replace(day=1)


# --- visibility ---------------------------------------------------------------------------------


def volunteer_users(scope: Scope) -> QuerySet[User]:
    """Volunteer accounts this scope sees (FORCE_BY_ROLE): in a subtree, those of its centers and
    those registered to its grids or organizations; a grid worker, the volunteers of their grids;
    a volunteer, themself."""
    users = User.objects.filter(role=Role.VOLUNTEER)
    rule = scope.force
    if rule == EVERYTHING:
        return users
    if rule == OWN_REPORTS:
        return users.filter(pk=scope.user_id)
    if rule == GRID_WORK:
        return users.filter(volunteer__in=scope.volunteers())
    if rule == SUBTREE and scope.center_path is not None:
        return users.filter(Q(center__path__startswith=scope.center_path) | Q(volunteer__in=scope.volunteers()))
    return users.none()


def invitations_visible(user: User) -> QuerySet[VolunteerInvitation]:
    """A grid worker's own invitations; a center's, those of its subtree; an administrator's, all."""
    scope = scope_for(user)
    invitations = VolunteerInvitation.objects.all()
    if scope.force == EVERYTHING:
        return invitations
    if scope.force == GRID_WORK:
        return invitations.filter(inviter_id=user.pk)
    if scope.force == SUBTREE and scope.center_path is not None:
        return invitations.filter(center__path__startswith=scope.center_path)
    return invitations.none()


def may_see_figures(user: User) -> bool:
    from .services import actor_facts

    return permissions.may_see_force_figures(actor_facts(user))


# --- points and rankings ------------------------------------------------------------------------


def points_of(user_id: int, period: Period | None = None) -> int:
    entries = PointEntry.objects.filter(user_id=user_id)
    if period is not None:
        entries = entries.filter(at__gte=period.start, at__lt=period.end)
    return entries.aggregate(total=Sum("points"))["total"] or 0


def ranking(
    *, period: Period, community: Center | None = None, organization: VolunteerOrganization | None = None
) -> list[dict]:
    """The volunteers of a community (their account's center) or an organization ranked by their
    points in `period`, best first: [{rank, user_id, name, organization, category, points}]. Two
    queries. Volunteers without entries in the period are not ranked."""
    entries = PointEntry.objects.filter(at__gte=period.start, at__lt=period.end)
    if community is not None:
        entries = entries.filter(user__center=community)
    if organization is not None:
        entries = entries.filter(user__volunteer__organization=organization)
    totals = dict(entries.values("user_id").annotate(total=Sum("points")).values_list("user_id", "total"))
    people = {
        row["pk"]: row
        for row in User.objects.filter(pk__in=list(totals)).values(
            "pk", "last_name", "first_name", "username", "volunteer__organization__name", "volunteer__category"
        )
    }
    result = []
    for position, user_id, points in rank(list(totals.items())):
        person = people[user_id]
        result.append(
            {
                "rank": position,
                "user_id": user_id,
                "name": f"{person['last_name']}{person['first_name']}" or person["username"],
                "organization": person["volunteer__organization__name"] or "",
                "category": person["volunteer__category"] or "",
                "points": points,
            }
        )
    return result


def rank_in_community(user: User, period: Period) -> tuple[int | None, int]:
    """(the volunteer's rank in their community this period or None, the number ranked)."""
    if user.center_id is None:
        return None, 0
    rows = ranking(period=period, community=user.center)
    mine = next((r["rank"] for r in rows if r["user_id"] == user.pk), None)
    return mine, len(rows)


def volunteer_home(user: User, *, now: datetime | None = None) -> dict:
    """What a volunteer's phone home page shows: their reports with states, their tasks (patrol
    plans they are assigned to), their last patrols, points this month and in total, rank in the
    community this month, recognitions and the last ledger entries."""
    from patrols.models import Patrol, PatrolPlan

    now = now or timezone.now()
    month = month_period(this_month(now))
    totals = PointEntry.objects.filter(user=user).aggregate(
        total=Sum("points"), month=Sum("points", filter=Q(at__gte=month.start, at__lt=month.end))
    )
    my_rank, ranked = rank_in_community(user, month)
    return {
        "volunteer": Volunteer.objects.select_related("organization", "grid").filter(user=user).first(),
        "reports": list(
            Event.objects.filter(reporter=user)
            .select_related("category", "category__parent")
            .only("pk", "created_at", "state", "address", "category__name", "category__parent__name")
            .order_by("-created_at")[:20]
        ),
        "report_count": Event.objects.filter(reporter=user).count(),
        "tasks": list(PatrolPlan.objects.filter(assignees=user, active=True).order_by("name")[:10]),
        "patrols": list(Patrol.objects.filter(user=user).order_by("-started_at")[:5]),
        "points_total": totals["total"] or 0,
        "points_month": totals["month"] or 0,
        "rank": my_rank,
        "ranked": ranked,
        "recognitions": list(Recognition.objects.filter(user=user).select_related("center")[:10]),
        "entries": list(PointEntry.objects.filter(user=user)[:10]),
    }


# --- duties in use ------------------------------------------------------------------------------


def duty_catalog(scope: Scope, period: Period) -> list[dict]:
    """The duty catalog with, per item, the event categories it covers, the events reported in
    those categories (and their subcategories) in `period` that this scope sees, and the patrol
    plans of the scope's area that check it. Four queries."""
    from patrols.models import PatrolPlan

    items = list(DutyItem.objects.select_related("category").order_by("category__order", "order"))
    covered: dict[int, list[dict]] = defaultdict(list)
    for row in DutyCoverage.objects.values("duty_id", "category_id", "category__name", "category__code"):
        covered[row["duty_id"]].append({"id": row["category_id"], "name": row["category__name"]})
    counts = list(
        scope.events()
        .filter(created_at__gte=period.start, created_at__lt=period.end)
        .values("category_id", "category__parent_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    plans_by_duty: dict[int, list[dict]] = defaultdict(list)
    visible_plans = scope.filter_by_center(PatrolPlan.objects.all())
    for row in PatrolPlan.duties.through.objects.filter(patrolplan__in=visible_plans).values(
        "dutyitem_id", "patrolplan_id", "patrolplan__name"
    ):
        plans_by_duty[row["dutyitem_id"]].append({"id": row["patrolplan_id"], "name": row["patrolplan__name"]})
    groups: dict[int, dict] = {}
    for item in items:
        categories = covered.get(item.pk, [])
        ids = {c["id"] for c in categories}
        # An event counts once per duty even when the duty covers both a category and its parent.
        events = sum(r["n"] for r in counts if r["category_id"] in ids or r["category__parent_id"] in ids)
        group = groups.setdefault(item.category_id, {"id": item.category_id, "name": item.category.name, "items": []})
        group["items"].append(
            {
                "id": item.pk,
                "order": item.order,
                "name": item.name,
                "active": item.active,
                "categories": categories,
                "events": events,
                "plans": plans_by_duty.get(item.pk, []),
            }
        )
    return list(groups.values())


# --- performance --------------------------------------------------------------------------------


def _force_of_grid():
    """An expression: the event was first reported from inside its grid's own force."""
    worker = Grid.workers.through.objects.filter(grid_id=OuterRef("grid_id"), user_id=OuterRef("reporter_id"))
    police = Grid.police.through.objects.filter(grid_id=OuterRef("grid_id"), user_id=OuterRef("reporter_id"))
    volunteer = Volunteer.objects.filter(grid_id=OuterRef("grid_id"), user_id=OuterRef("reporter_id"))
    return Exists(worker) | Exists(police) | Exists(volunteer)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _patrol_totals(key: str, ids, period: Period) -> dict:
    """Ended patrols started in `period`, by `key` ("grid_id" or "user_id") among `ids`: their count,
    distance and check-ins."""
    from patrols.choices import PatrolState
    from patrols.models import Patrol

    rows = (
        Patrol.objects.filter(
            **{f"{key}__in": ids}, state=PatrolState.ENDED, started_at__gte=period.start, started_at__lt=period.end
        )
        .values(key)
        .annotate(patrols=Count("pk"), distance_m=Sum("distance_m"), check_ins=Sum("check_in_count"))
        .order_by()
    )
    return {row[key]: row for row in rows}


def performance_grids_of(scope: Scope, center: Center) -> QuerySet[Grid]:
    """The grids compared on the performance page: those of `center`'s subtree the scope sees."""
    if scope.force not in (EVERYTHING, SUBTREE):
        return Grid.objects.none()
    return scope.grids().filter(center__path__startswith=center.path)


def performance_grids(scope: Scope, center: Center, period: Period, *, now: datetime | None = None) -> list[dict]:
    """Per grid of `center`'s subtree: events, discovered by its own force, discovery rate, reports
    from patrols, patrols (count, distance, check-ins), tasks and on-time rate. Six queries."""

    now = now or timezone.now()
    grids = list(
        performance_grids_of(scope, center)
        .order_by("center__parent__name", "center__name", "code")
        .values("pk", "code", "name", "center__name", "center__parent__name")
    )
    ids = [g["pk"] for g in grids]
    in_period = Q(created_at__gte=period.start, created_at__lt=period.end)
    events = {
        row["grid_id"]: row
        for row in Event.objects.filter(in_period, grid_id__in=ids)
        .exclude(state__in=NOT_EVENTS)
        .annotate(inside=_force_of_grid())
        .values("grid_id")
        .annotate(events=Count("pk"), discovered=Count("pk", filter=Q(inside=True)))
        .order_by()
    }
    patrols = _patrol_totals("grid_id", ids, period)
    tasks = dict(
        _dispatches_to_workers(period)
        .filter(event__grid_id__in=ids)
        .values("event__grid_id")
        .annotate(n=Count("pk"))
        .values_list("event__grid_id", "n")
        .order_by()
    )
    clocks = dashboard_counts(Event.objects.filter(grid_id__in=ids), {"p": period}, now=now, group_by="grid_id")
    rows = []
    for g in grids:
        e, p = events.get(g["pk"], {}), patrols.get(g["pk"], {})
        on_time = dashboard_figures(clocks[g["pk"]]["p"])["on_time_rate"] if g["pk"] in clocks else None
        rows.append(
            {
                "id": g["pk"],
                "code": g["code"],
                "name": g["name"],
                "community": g["center__name"],
                "town": g["center__parent__name"] or "",
                "events": e.get("events", 0),
                "discovered": e.get("discovered", 0),
                "discovery_rate": _rate(e.get("discovered", 0), e.get("events", 0)),
                "patrols": p.get("patrols", 0),
                "distance_m": p.get("distance_m") or 0,
                "check_ins": p.get("check_ins") or 0,
                "tasks": tasks.get(g["pk"], 0),
                "on_time_rate": on_time,
            }
        )
    return rows


def _dispatches_to_workers(period: Period) -> QuerySet:
    """Timeline rows giving an event to a grid worker (to handle, or to verify on site) in `period`."""
    return (
        EventAction.objects.filter(
            action=Action.DISPATCH, created_at__gte=period.start, created_at__lt=period.end, data__has_key="assignee"
        )
        .annotate(worker=Cast(KeyTextTransform("assignee", "data"), IntegerField()))
        .order_by()
    )


def performance_workers(scope: Scope, center: Center, period: Period, *, now: datetime | None = None) -> list[dict]:
    """Per grid worker of the grids of `center`'s subtree: reports, patrols (count, distance,
    check-ins), tasks, on-time rate of the events given to them, and their own discovery rate.
    Ten queries."""

    now = now or timezone.now()
    grids = performance_grids_of(scope, center)
    links = list(
        Grid.workers.through.objects.filter(grid__in=grids, user__role=Role.GRID_WORKER).values_list(
            "user_id", "grid_id"
        )
    )
    grids_of: dict[int, set[int]] = defaultdict(set)
    for user_id, grid_id in links:
        grids_of[user_id].add(grid_id)
    workers = list(
        User.objects.filter(pk__in=list(grids_of))
        .order_by("center__parent__name", "center__name", "username")
        .values("pk", "username", "last_name", "first_name", "center__name", "center__parent__name")
    )
    ids = list(grids_of)
    grid_names = dict(Grid.objects.filter(pk__in={g for _, g in links}).values_list("pk", "name"))
    in_period = Q(created_at__gte=period.start, created_at__lt=period.end)
    reports = dict(
        Event.objects.filter(in_period, reporter_id__in=ids)
        .values("reporter_id")
        .annotate(n=Count("pk"))
        .values_list("reporter_id", "n")
        .order_by()
    )
    # Own discovery: the events of the worker's grids, and those of them the worker reported.
    grid_events = dict(
        Event.objects.filter(in_period, grid_id__in={g for _, g in links})
        .exclude(state__in=NOT_EVENTS)
        .values("grid_id")
        .annotate(n=Count("pk"))
        .values_list("grid_id", "n")
        .order_by()
    )
    own_grid = Grid.workers.through.objects.filter(grid_id=OuterRef("grid_id"), user_id=OuterRef("reporter_id"))
    discovered = dict(
        Event.objects.filter(in_period, reporter_id__in=ids)
        .exclude(state__in=NOT_EVENTS)
        .filter(Exists(own_grid))
        .values("reporter_id")
        .annotate(n=Count("pk"))
        .values_list("reporter_id", "n")
        .order_by()
    )
    patrols = _patrol_totals("user_id", ids, period)
    tasks = dict(
        _dispatches_to_workers(period)
        .filter(worker__in=ids)
        .values("worker")
        .annotate(n=Count("pk"))
        .values_list("worker", "n")
    )
    clocks = dashboard_counts(Event.objects.filter(assignee_id__in=ids), {"p": period}, now=now, group_by="assignee_id")
    rows = []
    for w in workers:
        pk = w["pk"]
        p = patrols.get(pk, {})
        of_grids = sum(grid_events.get(g, 0) for g in grids_of[pk])
        rows.append(
            {
                "id": pk,
                "username": w["username"],
                "name": f"{w['last_name']}{w['first_name']}" or w["username"],
                "grids": sorted(grid_names.get(g, "") for g in grids_of[pk]),
                "community": w["center__name"] or "",
                "town": w["center__parent__name"] or "",
                "reports": reports.get(pk, 0),
                "patrols": p.get("patrols", 0),
                "distance_m": p.get("distance_m") or 0,
                "check_ins": p.get("check_ins") or 0,
                "tasks": tasks.get(pk, 0),
                "on_time_rate": dashboard_figures(clocks[pk]["p"])["on_time_rate"] if pk in clocks else None,
                "grid_events": of_grids,
                "discovered": discovered.get(pk, 0),
                "discovery_rate": _rate(discovered.get(pk, 0), of_grids),
            }
        )
    return rows


def performance(scope: Scope, center: Center, period: Period, by: str, *, now: datetime | None = None) -> list[dict]:
    if by == PerformanceBy.WORKER:
        return performance_workers(scope, center, period, now=now)
    return performance_grids(scope, center, period, now=now)


def recognitions_recent(scope: Scope, limit: int = 10) -> list[Recognition]:
    """The latest commendations of the volunteers this scope sees."""
    return list(Recognition.objects.filter(user__in=volunteer_users(scope)).select_related("user", "center")[:limit])
