"""Reads of the patrols app: lists, a patrol's replay, the live items, and coverage — each defined
once here for the API, the pages and the dashboards."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, QuerySet

from accounts.scope import scope_for

from .choices import PatrolState
from .domain import periods
from .models import CheckIn, Patrol, PatrolPlan, PlanStop, TrackPoint


def plan_list(user) -> QuerySet[PatrolPlan]:
    """The plans `user` may see (accounts.scope: patrollers their own, centers their area's)."""
    return scope_for(user).patrol_plans()


def patrol_list(user) -> QuerySet[Patrol]:
    return scope_for(user).patrols()


def my_plans(user) -> QuerySet[PatrolPlan]:
    """The active plans `user` is assigned to walk."""
    return PatrolPlan.objects.filter(active=True, assignees=user).select_related("grid", "organization", "center")


def active_patrol(user) -> Patrol | None:
    return Patrol.objects.filter(user=user, state=PatrolState.ACTIVE).select_related("plan").first()


def routes(plan_ids) -> dict[int, list[dict]]:
    """Each plan's route as the phone shows it: the places in walking order with their points."""
    out: dict[int, list[dict]] = {pk: [] for pk in plan_ids}
    stops = (
        PlanStop.objects.filter(plan_id__in=list(plan_ids), place__active=True)
        .select_related("place")
        .only("plan_id", "order", "place__name", "place__kind", "place__address", "place__point")
        .order_by("plan_id", "order")
    )
    for stop in stops:
        p = stop.place
        out[stop.plan_id].append(
            {"id": p.pk, "name": p.name, "kind": p.kind, "address": p.address, "lat": p.point.y, "lng": p.point.x}
        )
    return out


# --- coverage ---------------------------------------------------------------------------------------


def coverage(spans: dict[int, tuple[datetime, datetime]]) -> dict[int, dict]:
    """Coverage of each plan over its span: `{plan_id: {"patrols_done", "places_due",
    "places_checked", "coverage"}}`.

    - patrols done = patrols of the plan started in the span and ended (not cancelled);
    - places due = the active places on the plan's route;
    - places checked = distinct places of the route checked in during the span by a patrol of the
      plan that was not cancelled (an active patrol's check-ins count at once);
    - coverage = places checked ÷ places due (None without a route).
    Three queries per distinct span (plans of the same period kind share one)."""
    result = {pk: {"patrols_done": 0, "places_due": 0, "places_checked": 0, "coverage": None} for pk in spans}
    if not spans:
        return result
    by_span: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    for pk, span in spans.items():
        by_span[span].append(pk)
    due = PlanStop.objects.filter(plan_id__in=list(spans), place__active=True).values("plan_id").annotate(n=Count("pk"))
    for row in due:
        result[row["plan_id"]]["places_due"] = row["n"]
    for (start, end), ids in by_span.items():
        done = (
            Patrol.objects.filter(plan_id__in=ids, state=PatrolState.ENDED, started_at__gte=start, started_at__lt=end)
            .values("plan_id")
            .annotate(n=Count("pk"))
        )
        for row in done:
            result[row["plan_id"]]["patrols_done"] = row["n"]
        on_route = PlanStop.objects.filter(plan_id=OuterRef("patrol__plan_id"), place_id=OuterRef("place_id"))
        checked = (
            CheckIn.objects.filter(patrol__plan_id__in=ids, at__gte=start, at__lt=end)
            .exclude(patrol__state=PatrolState.CANCELLED)
            .filter(Exists(on_route))
            .values("patrol__plan_id")
            .annotate(n=Count("place_id", distinct=True))
        )
        for row in checked:
            result[row["patrol__plan_id"]]["places_checked"] = row["n"]
    for figures in result.values():
        figures["coverage"] = periods.coverage(figures["places_checked"], figures["places_due"])
    return result


def plan_current_coverage(plans) -> dict[int, dict]:
    """Coverage of each plan over its current period (the plan's clock)."""
    spans = {}
    for plan in plans:
        span = periods.span_of(plan.period, plan.period_start) if plan.period_start else None
        if span is not None:
            spans[plan.pk] = (span.start, span.end)
    figures = coverage(spans)
    for plan in plans:
        if plan.pk in figures:
            figures[plan.pk]["period_start"] = spans[plan.pk][0]
            figures[plan.pk]["period_end"] = spans[plan.pk][1]
    return figures


_FIGURES_SQL = """
WITH plans AS (
    SELECT id, period_start, due_at FROM patrols_patrolplan
    WHERE center_id = ANY(%(centers)s) AND active AND period_start IS NOT NULL
), due AS (
    SELECT s.plan_id, count(*) AS n
    FROM patrols_planstop s JOIN plans ON plans.id = s.plan_id JOIN grids_place p ON p.id = s.place_id
    WHERE p.active GROUP BY s.plan_id
), checked AS (
    SELECT pa.plan_id, count(DISTINCT c.place_id) AS n
    FROM patrols_checkin c
    JOIN patrols_patrol pa ON pa.id = c.patrol_id
    JOIN plans ON plans.id = pa.plan_id
    JOIN patrols_planstop s ON s.plan_id = pa.plan_id AND s.place_id = c.place_id
    WHERE pa.state <> 'cancelled' AND c.at >= plans.period_start AND c.at < plans.due_at
    GROUP BY pa.plan_id
)
SELECT
    (SELECT count(*) FROM plans),
    (SELECT coalesce(sum(n), 0) FROM due),
    (SELECT coalesce(sum(least(checked.n, due.n)), 0) FROM checked JOIN due USING (plan_id)),
    (SELECT count(*) FROM patrols_patrol WHERE center_id = ANY(%(centers)s) AND state = 'active'),
    (SELECT count(*) FROM patrols_patrol
     WHERE center_id = ANY(%(centers)s) AND started_at >= %(day)s AND started_at < %(day_end)s),
    (SELECT count(*) FROM patrols_missedpatrol m JOIN patrols_patrolplan pl ON pl.id = m.plan_id
     WHERE pl.center_id = ANY(%(centers)s) AND m.period_end > %(month)s AND m.period_end <= %(month_end)s)
"""


def patrol_figures(center_ids: list[int], *, now: datetime) -> dict:
    """The board's patrol figures for a subtree (its centers' ids), in one query: patrols under way
    now, patrols started today, the active plans, the coverage of their current periods (places
    checked ÷ places due, summed over the plans) and the periods missed this month.

    The coverage restates `coverage` (the one definition) in SQL so that a dashboard pays one round
    trip; tests/patrols/test_figures.py proves both give the same figure over random walks."""
    from django.db import connection

    today = periods.span_of(periods.DAY, now)
    month = periods.span_of(periods.MONTH, now)
    with connection.cursor() as cursor:
        cursor.execute(
            _FIGURES_SQL,
            {
                "centers": list(center_ids),
                "day": today.start,
                "day_end": today.end,
                "month": month.start,
                "month_end": month.end,
            },
        )
        plans, due, checked, active, started, missed = cursor.fetchone()
    return {
        "active": active,
        "today": started,
        "plans": plans,
        "coverage": periods.coverage(int(checked), int(due)),  # sum() comes back as a Decimal
        "missed_month": missed,
    }


# --- live and replay ----------------------------------------------------------------------------------


LIVE_FIELDS = (
    "pk",
    "state",
    "started_at",
    "ended_at",
    "distance_m",
    "check_in_count",
    "point_count",
    "last_point",
    "last_at",
    "center_id",
    "grid_id",
    "user__username",
    "user__first_name",
    "user__last_name",
    "user__role",
    "plan__name",
)


def live_items(ids) -> dict[int, dict]:
    """Patrols as the live map shows them (the same dict in the snapshot and the pushes), in one
    query: who, where now, since when, how far, check-ins, the state."""
    rows = Patrol.objects.filter(pk__in=list(ids)).select_related("user", "plan").only(*LIVE_FIELDS)
    return {p.pk: live_item(p) for p in rows}


def live_item(p: Patrol) -> dict:
    name = (p.user.get_full_name() or p.user.username) if p.user_id else ""
    return {
        "id": p.pk,
        "state": p.state,
        "user": name,
        "role": p.user.role,
        "plan": p.plan.name if p.plan_id else "",
        "center_id": p.center_id,
        "grid_id": p.grid_id,
        "started_at": p.started_at.isoformat(),
        "ended_at": p.ended_at.isoformat() if p.ended_at else None,
        "distance_m": p.distance_m,
        "check_in_count": p.check_in_count,
        "point_count": p.point_count,
        "lat": p.last_point.y if p.last_point else None,
        "lng": p.last_point.x if p.last_point else None,
        "last_at": p.last_at.isoformat() if p.last_at else None,
        "url": f"/patrols/{p.pk}/",
    }


def active_in(center_ids: list[int], *, limit: int = 2000) -> list[dict]:
    """The patrols under way in a subtree, for a live map's snapshot (one query)."""
    rows = (
        Patrol.objects.filter(center_id__in=center_ids, state=PatrolState.ACTIVE)
        .select_related("user", "plan")
        .only(*LIVE_FIELDS)
        .order_by("-started_at")[:limit]
    )
    return [live_item(p) for p in rows]


def follows_patrols(user) -> bool:
    """Whether `user` follows an area's patrols (the live map, the monitor): the roles that see a
    subtree's patrols (accounts.scope.PATROLS_BY_ROLE)."""
    from accounts.scope import EVERYTHING, PATROLS_BY_ROLE, SUBTREE

    scope = scope_for(user)
    return scope.everything or PATROLS_BY_ROLE.get(scope.role) in (SUBTREE, EVERYTHING)


def live_center(user, center_id=None):
    """The center whose patrols `user` follows live: one of their area (default: their own; an
    administrator's the root). PermissionDenied for the roles that do not follow patrols,
    ValidationError for a bad id, Http404 for a center outside the area."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404
    from django.utils.translation import gettext as _

    if not follows_patrols(user):
        raise PermissionDenied(_("Your role does not follow patrols."))
    centers = scope_for(user).centers().defer("boundary")
    if center_id in (None, ""):
        center = centers.filter(pk=user.center_id).first() if user.center_id else None
        center = center or centers.filter(parent__isnull=True).order_by("path").first()
    else:
        try:
            center = centers.filter(pk=int(center_id)).first()
        except (TypeError, ValueError):
            raise ValidationError({"center": [_("A center is a number.")]}) from None
    if center is None:
        raise Http404(_("No such center in your area."))
    return center


def patrol_replay(patrol: Patrol) -> dict:
    """A patrol's replay: its track as a GeoJSON LineString with each point's time, the check-ins
    and the reports made from it. Three queries."""
    track = list(TrackPoint.objects.filter(patrol=patrol).order_by("at", "seq").values_list("at", "point", "accuracy"))
    check_ins = list(
        CheckIn.objects.filter(patrol=patrol)
        .select_related("place")
        .order_by("at")
        .only("at", "method", "place__name", "place__kind", "place__point", "distance_m")
    )
    reports = list(patrol.reports.select_related("event", "dispute").order_by("created_at"))
    return {
        "patrol": live_item(patrol),
        "track": {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[p.x, p.y] for _at, p, _a in track]},
            "properties": {"times": [at.isoformat() for at, _p, _a in track]},
        },
        "check_ins": [
            {
                "place_id": c.place_id,
                "place": c.place.name,
                "kind": c.place.kind,
                "method": c.method,
                "at": c.at.isoformat(),
                "lat": c.place.point.y,
                "lng": c.place.point.x,
                "distance_m": c.distance_m,
            }
            for c in check_ins
        ],
        "reports": [
            {
                "kind": "event" if r.event_id else "dispute",
                "id": r.event_id or r.dispute_id,
                "number": (r.event.number if r.event_id else r.dispute.number),
                "url": f"/events/{r.event_id}/" if r.event_id else f"/disputes/{r.dispute_id}/",
                "place_id": r.place_id,
                "at": r.created_at.isoformat(),
            }
            for r in reports
        ],
    }
