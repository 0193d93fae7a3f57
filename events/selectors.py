"""Reads of events beyond a `.get()`: the statistics of DESIGN.md, one definition for every page.

For a set of events (already limited to a user's scope) and a period [start, end):
- reported: reported in the period;
- due (应结案数): events whose deadline falls in the period (in a period still running: by now), plus
  events closed in it (rejected and merged events are never due);
- closed, closure rate = closed / due; on time = closed by the deadline (extensions included) / due;
  overdue = due events closed after their deadline or still open past it / due;
- timely acceptance = reported events accepted within the acceptance limit / reported;
- dispatch accuracy = 1 − returns / dispatches; rework rate = failed verifications / handlings;
- escalation rate = escalations / reported; self-handling rate = grid-worker reports handled on the
  spot / grid-worker reports; supervised on time = supervised due events closed on time / supervised due;
- satisfaction = satisfied / rated closings.
Every figure can be sliced by town, community, grid, department and category, in a fixed number
of queries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from grids.models import Center, Department, Grid

from .choices import Action, AssignmentRole, Source, State, Supervision
from .models import EventAction, EventAssignment, EventCategory

SLICES = ("town", "community", "grid", "department", "category")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    @classmethod
    def from_dates(cls, first: date, last: date) -> Period:
        """The days from `first` to `last` inclusive, in the platform's time zone."""
        tz = timezone.get_current_timezone()
        return cls(
            timezone.make_aware(datetime.combine(first, time.min), tz),
            timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), tz),
        )


def _slice_key(by: str | None, prefix: str = ""):
    """An expression giving each event's slice id (or None for the whole set)."""
    p = prefix
    if by is None:
        return None
    if by == "town":
        return Case(
            When(**{f"{p}origin_center__level": "community"}, then=F(f"{p}origin_center__parent_id")),
            default=F(f"{p}origin_center_id"),
            output_field=IntegerField(),
        )
    if by == "community":
        return Case(
            When(**{f"{p}origin_center__level": "community"}, then=F(f"{p}origin_center_id")),
            default=None,
            output_field=IntegerField(),
        )
    if by == "grid":
        return F(f"{p}grid_id")
    if by == "category":
        return Coalesce(F(f"{p}category__parent_id"), F(f"{p}category_id"))
    if by == "department":
        event_ref = OuterRef(f"{p}pk") if not p else OuterRef(f"{p.removesuffix('__')}_id")
        lead = EventAssignment.objects.filter(event=event_ref, role=AssignmentRole.LEAD).order_by("-active", "-id")
        return Subquery(lead.values("department_id")[:1])
    raise ValueError(f"unknown slice {by!r}")


def overdue_q(now: datetime) -> Q:
    """Overdue: still open past the deadline at `now`, or closed after it (extensions move the deadline)."""
    return Q(closed_at__gt=F("deadline")) | Q(closed_at__isnull=True, deadline__lt=now)


def _period_filters(period: Period, now: datetime) -> dict[str, Q]:
    """The event-level definitions of the figures over `period` (one place for every page).

    In a period still running, "due" counts the deadlines come by `now`, not those still ahead: at
    3 a.m. today's closure rate is over the events due so far today (plus those closed today), not
    over the ones due tonight, which nobody could have closed late yet."""
    s, e = period.start, period.end
    in_period = Q(created_at__gte=s, created_at__lt=e)
    closed_in = Q(closed_at__gte=s, closed_at__lt=e)
    due_by = min(now, e)
    due = (Q(deadline__gte=s, deadline__lt=due_by) | closed_in) & ~Q(state__in=[State.REJECTED, State.MERGED])
    on_time = closed_in & Q(closed_at__lte=F("deadline"))
    late = overdue_q(min(now, e))
    return {
        "reported": in_period,
        "closed": closed_in,
        "due": due,
        "on_time": on_time,
        "closed_on_time": due & on_time,
        "overdue": due & late,
        "open": Q(created_at__lt=e) & ~Q(state__in=[State.CLOSED, State.REJECTED, State.MERGED]),
    }


def _event_counts(events: QuerySet, period: Period, now: datetime, by: str | None) -> dict:
    f = _period_filters(period, now)
    in_period, closed_in, due, on_time = f["reported"], f["closed"], f["due"], f["on_time"]
    self_handled = EventAction.objects.filter(event=OuterRef("pk"), action=Action.SELF_HANDLE)
    aggregates = {
        "reported": Count("pk", filter=in_period),
        "due": Count("pk", filter=due),
        "closed": Count("pk", filter=closed_in),
        "closed_on_time": Count("pk", filter=f["closed_on_time"]),
        "overdue": Count("pk", filter=f["overdue"]),
        "open": Count("pk", filter=f["open"]),
        "accepted_in_time": Count("pk", filter=in_period & Q(accepted_at__lte=F("accept_due_at"))),
        "patrol_reported": Count("pk", filter=in_period & Q(source=Source.PATROL)),
        "patrol_self_handled": Count("pk", filter=in_period & Q(source=Source.PATROL, has_self_handle=True)),
        "supervised_due": Count("pk", filter=due & ~Q(supervision=Supervision.NONE)),
        "supervised_on_time": Count("pk", filter=due & on_time & ~Q(supervision=Supervision.NONE)),
        "rated": Count("pk", filter=closed_in & Q(satisfied__isnull=False)),
        "satisfied": Count("pk", filter=closed_in & Q(satisfied=True)),
    }
    queryset = events.annotate(has_self_handle=Exists(self_handled))
    if by is None:
        return {None: queryset.aggregate(**aggregates)}
    rows = queryset.annotate(slice_id=_slice_key(by)).values("slice_id").annotate(**aggregates)
    return {row.pop("slice_id"): row for row in rows}


def _action_counts(events: QuerySet, period: Period, by: str | None) -> dict:
    actions = EventAction.objects.filter(
        event__in=events.values("pk"), created_at__gte=period.start, created_at__lt=period.end
    )
    aggregates = {
        "dispatches": Count("pk", filter=Q(action=Action.DISPATCH, from_state=State.ACCEPTED)),
        "returns": Count("pk", filter=Q(action=Action.RETURN, to_state=State.ACCEPTED)),
        "handlings": Count("pk", filter=Q(action=Action.HANDLE, to_state=State.HANDLED) | Q(action=Action.SELF_HANDLE)),
        "reworks": Count("pk", filter=Q(action=Action.VERIFY_FAIL)),
        "escalations": Count("pk", filter=Q(action=Action.ESCALATE)),
        "escalations_from_community": Count("pk", filter=Q(action=Action.ESCALATE, data__from_level="community")),
        "escalations_from_town": Count("pk", filter=Q(action=Action.ESCALATE, data__from_level="town")),
    }
    if by is None:
        return {None: actions.aggregate(**aggregates)}
    rows = actions.annotate(slice_id=_slice_key(by, "event__")).values("slice_id").annotate(**aggregates)
    return {row.pop("slice_id"): row for row in rows}


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _figures(counts: dict) -> dict:
    c = counts
    return {
        **c,
        "closure_rate": _rate(c["closed"], c["due"]),
        "on_time_rate": _rate(c["closed_on_time"], c["due"]),
        "overdue_rate": _rate(c["overdue"], c["due"]),
        "timely_acceptance_rate": _rate(c["accepted_in_time"], c["reported"]),
        "dispatch_accuracy": None if not c["dispatches"] else round(1 - c["returns"] / c["dispatches"], 4),
        "rework_rate": _rate(c["reworks"], c["handlings"]),
        "escalation_rate": _rate(c["escalations"], c["reported"]),
        "self_handling_rate": _rate(c["patrol_self_handled"], c["patrol_reported"]),
        "supervised_on_time_rate": _rate(c["supervised_on_time"], c["supervised_due"]),
        "satisfaction_rate": _rate(c["satisfied"], c["rated"]),
    }


EMPTY_EVENT_COUNTS = dict.fromkeys(
    [
        "reported",
        "due",
        "closed",
        "closed_on_time",
        "overdue",
        "open",
        "accepted_in_time",
        "patrol_reported",
        "patrol_self_handled",
        "supervised_due",
        "supervised_on_time",
        "rated",
        "satisfied",
    ],
    0,
)
EMPTY_ACTION_COUNTS = dict.fromkeys(
    [
        "dispatches",
        "returns",
        "handlings",
        "reworks",
        "escalations",
        "escalations_from_community",
        "escalations_from_town",
    ],
    0,
)


def _names(by: str, ids) -> dict:
    ids = [i for i in ids if i is not None]
    model = {"town": Center, "community": Center, "grid": Grid, "department": Department, "category": EventCategory}[by]
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))


def stats_summary(events: QuerySet, period: Period, *, by: str | None = None, now: datetime | None = None) -> dict:
    """The statistics of `events` (a scoped queryset) over `period`, optionally sliced `by`."""
    now = now or timezone.now()
    totals = _figures({**_event_counts(events, period, now, None)[None], **_action_counts(events, period, None)[None]})
    result = {"totals": totals, "slices": []}
    if by:
        event_rows = _event_counts(events, period, now, by)
        action_rows = _action_counts(events, period, by)
        keys = set(event_rows) | set(action_rows)
        names = _names(by, keys)
        slices = []
        for key in keys:
            counts = {
                **EMPTY_EVENT_COUNTS,
                **EMPTY_ACTION_COUNTS,
                **event_rows.get(key, {}),
                **action_rows.get(key, {}),
            }
            slices.append({"id": key, "name": names.get(key, ""), **_figures(counts)})
        result["slices"] = sorted(slices, key=lambda r: (-r["reported"], r["name"]))
    return result


DASHBOARD_FIGURES = ("reported", "due", "closed", "closed_on_time", "overdue", "open", "escalations")


def dashboard_counts(
    events: QuerySet, periods: dict[str, Period], *, now: datetime, group_by: str = "origin_center_id"
) -> dict:
    """The dashboard's figures of `events` (a scoped queryset) for several periods at once, grouped
    by `group_by` ("origin_center_id", "grid_id" or "assignee_id": the grid worker the events were
    given to, force.selectors' performance page): `{group: {period name: {figure: n}}}`.

    The same definitions as `stats_summary`, but only the figures a dashboard shows, so a whole
    district takes two queries (events, escalation steps) whatever the number of periods and groups.
    Events that count in none of the periods are skipped by an indexed pre-filter."""
    if group_by not in ("origin_center_id", "grid_id", "assignee_id"):
        raise ValueError(f"cannot group by {group_by!r}")
    earliest = min(p.start for p in periods.values())
    aggregates = {}
    escalations = {}
    for name, period in periods.items():
        f = _period_filters(period, now)
        for figure in DASHBOARD_FIGURES[:-1]:
            aggregates[f"{name}__{figure}"] = Count("pk", filter=f[figure])
        escalations[f"{name}__escalations"] = Count(
            "pk", filter=Q(created_at__gte=period.start, created_at__lt=period.end)
        )
    # Whatever counts in a period was reported, closed or due in it, or is still open.
    relevant = (
        Q(created_at__gte=earliest)
        | Q(closed_at__gte=earliest)
        | Q(deadline__gte=earliest)
        | ~Q(state__in=[State.CLOSED, State.REJECTED, State.MERGED])
    )
    result: dict = {}

    def add(key, row):
        group = result.setdefault(key, {name: dict.fromkeys(DASHBOARD_FIGURES, 0) for name in periods})
        for column, value in row.items():
            name, figure = column.split("__")
            group[name][figure] = value

    for row in events.filter(relevant).values(group_by).annotate(**aggregates).order_by():
        add(row.pop(group_by), row)
    steps = (
        EventAction.objects.filter(event__in=events.values("pk"), action=Action.ESCALATE, created_at__gte=earliest)
        .values(f"event__{group_by}")
        .annotate(**escalations)
        .order_by()
    )
    for row in steps:
        add(row.pop(f"event__{group_by}"), row)
    return result


def dashboard_figures(counts: dict) -> dict:
    """One period's dashboard counts with their rates (closure, on time), as the dashboards show them."""
    return {
        "reported": counts["reported"],
        "open": counts["open"],
        "overdue": counts["overdue"],
        "closed": counts["closed"],
        "closure_rate": _rate(counts["closed"], counts["due"]),
        "on_time_rate": _rate(counts["closed_on_time"], counts["due"]),
        "escalations": counts["escalations"],
    }


def attachment_visible(user, attachment_id: int):
    """The photo `attachment_id` if `user` may see it, else None: its event is in the user's scope
    (`scope_for`, the one gate), and it belongs to a timeline step or the user uploaded it (an
    after-photo waiting for its handling step)."""
    from accounts.scope import scope_for

    from .models import Attachment

    visible_events = scope_for(user).events().values("pk")
    return (
        Attachment.objects.filter(pk=attachment_id, event__in=visible_events)
        .filter(Q(action__isnull=False) | Q(uploaded_by_id=user.pk))
        .only("pk", "image", "thumbnail", "event_id", "action_id", "uploaded_by_id")
        .first()
    )


# --- likely duplicates at intake (并案) -----------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateDraft:
    """A report being written or just taken in: what the duplicate finder compares. `at` is the
    moment of the report; `exclude_id` the event itself once it exists."""

    category_id: int
    point: object  # a WGS 84 GEOS Point
    text: str
    at: datetime
    exclude_id: int | None = None

    @classmethod
    def of(cls, event) -> DuplicateDraft:
        return cls(event.category_id, event.location, event.description, event.created_at, event.pk)


def duplicate_rules() -> dict:
    """Every duplicate rule by category id (None: the default row)."""
    from .models import DuplicateRule

    return {rule.category_id: rule for rule in DuplicateRule.objects.all()}


def duplicate_rule(category_id: int, rules: dict | None = None):
    """The rule for `category_id`: its own row, its parent's, the default row, else the built-in
    defaults (an unsaved row)."""
    from .clocks import reference
    from .models import DuplicateRule

    rules = duplicate_rules() if rules is None else rules
    category = reference().categories.get(category_id)
    for key in (category_id, getattr(category, "parent_id", None)):
        if key is not None and key in rules:
            return rules[key]
    return rules.get(None) or DuplicateRule()


def open_at(moment: datetime) -> Q:
    """Events open at `moment`: reported by then, not closed by then, neither rejected nor merged.
    At the present it is the open states; over the demo year, the same rule as it stood then."""
    return (
        Q(created_at__lte=moment)
        & (Q(closed_at__isnull=True) | Q(closed_at__gt=moment))
        & ~Q(state__in=[State.REJECTED, State.MERGED])
    )


DUPLICATES_SHOWN = 5


def event_duplicates(
    draft, *, events: QuerySet | None = None, rules: dict | None = None, limit: int = DUPLICATES_SHOWN
):
    """Likely duplicates of a report (an Event or a DuplicateDraft): the open events of its category
    reported within the rule's window before it, within its distance, with a description at least
    `min_similarity` alike (pg_trgm). Best first: most alike, then nearest. `events` limits the
    search (a user's scope); every intake path (phone, hotline, Open311, alarms) asks this one.

    One query, over the location's spatial index (a box in degrees, then the exact distance in
    metres on the sphere). Each row carries `distance` (metres) and `similarity` (0–1)."""
    from django.contrib.gis.db.models.functions import Distance
    from django.contrib.gis.measure import D
    from django.contrib.postgres.search import TrigramSimilarity

    from .models import Event

    if not isinstance(draft, DuplicateDraft):
        draft = DuplicateDraft.of(draft)
    rule = duplicate_rule(draft.category_id, rules)
    if not rule.active or draft.point is None:
        return []
    point = draft.point
    # A box around the point, in degrees, that holds the circle: lets PostGIS use the GiST index.
    lat = abs(point.y)
    degrees = rule.distance_m / (111_320 * max(math.cos(math.radians(lat)), 0.1))
    queryset = Event.objects.all() if events is None else events
    queryset = (
        queryset.filter(
            open_at(draft.at),
            category_id=draft.category_id,
            created_at__gte=draft.at - timedelta(hours=rule.window_hours),
            location__dwithin=(point, degrees),
            location__distance_lte=(point, D(m=rule.distance_m)),
        )
        .annotate(distance=Distance("location", point), similarity=TrigramSimilarity("description", draft.text or ""))
        .filter(similarity__gte=rule.min_similarity)
    )
    if draft.exclude_id is not None:
        queryset = queryset.exclude(pk=draft.exclude_id)
    return list(
        queryset.select_related("category")
        .only("pk", "category__name", "category__parent", "description", "address", "state", "created_at", "location")
        .order_by("-similarity", "distance", "-created_at", "-pk")[:limit]
    )
