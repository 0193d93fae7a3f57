"""What a dashboard loads over HTTP before it applies pushes (DESIGN.md "Live dashboards").

A page opens its WebSocket, then loads `snapshot_for(user, center)`: the stream's number (read
before any query, so every push numbered up to it is already in the snapshot), the figures, the
latest changed events, the open events for the map and the alarms. Pushes numbered above it are
applied on top; a gap makes the page load a new snapshot.

`counts_for(center, department_id=...)` is the figures alone, the same for every viewer of a stream:
the realtime side recomputes it (at most once a second per stream) from nothing but the stream's
name (`stream_counts`).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import EVERYTHING, SUBTREE, SUBTREE_LIST_LIMIT, scope_for
from care.selectors import care_alarms, care_figures
from disputes.choices import Risk
from disputes.choices import Signal as DisputeSignal
from disputes.choices import State as DisputeState
from events.choices import Action, Light, State, Supervision
from events.domain.states import FINAL_STATES
from events.figures import figure_counts
from events.models import Event, EventAssignment
from events.selectors import DASHBOARD_FIGURES, Period, dashboard_counts, dashboard_figures
from grids.choices import Level
from grids.models import Center, Department, Grid
from video.selectors import center_online_figures

from . import groups
from .items import dispute_items, event_items

DASHBOARD_ROLES = frozenset({Role.DUTY_OFFICER, Role.DUTY_LEADER, Role.CENTER_STAFF, Role.DEPARTMENT_STAFF, Role.ADMIN})
FEED_SIZE = 30
OPEN_EVENTS_CAP = 3000
ALARMS_CAP = 200
# What the map needs of an open event (the snapshot can hold thousands of them).
MAP_ITEM_KEYS = (
    "id",
    "number",
    "category",
    "excerpt",
    "place",
    "center_id",
    "origin_center_id",
    "level",
    "urgent",
    "urgent_requested",
    "light",
    "state",
    "open",
    "supervision",
    "lat",
    "lng",
    "reported_at",
    "updated_at",
    "url",
)


def has_dashboard(user) -> bool:
    """Whether `user` has a live dashboard: center staff, duty officers and leaders, department
    staff and administrators (grid workers, volunteers and mediators work from their own pages)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in DASHBOARD_ROLES


def _home_center(user) -> Center | None:
    if user.is_superuser or user.role == Role.ADMIN:
        return Center.objects.filter(parent__isnull=True).order_by("path").first()
    if groups.follows_department(user):
        return Department.objects.select_related("center").get(pk=user.department_id).center
    return user.center


def dashboard_center(user, center_id=None) -> Center:
    """The center whose dashboard `user` sees: their own (administrators: the root of the tree;
    department staff: their department's area), or `center_id` if it lies in their area.

    Raises PermissionDenied (no dashboard for this role), ValidationError (not a number) or Http404
    (no such center in the user's area)."""
    if not has_dashboard(user):
        raise PermissionDenied(
            _("The live dashboard is for center staff, duty officers and leaders, department staff and administrators.")
        )
    home = _home_center(user)
    if home is None:
        raise Http404(_("Your account has no center: ask an administrator to set one."))
    if center_id is None or center_id == "":
        return home
    try:
        pk = int(center_id)
    except (TypeError, ValueError):
        raise ValidationError({"center": [_("A center is given by its number.")]}) from None
    if pk == home.pk:
        return home
    if groups.follows_department(user):
        # A department's pushes are its tickets, wherever they are: its dashboard is its whole area.
        raise Http404(_("A department's dashboard shows its whole area."))
    center = scope_for(user).centers().defer("boundary").filter(pk=pk).first()
    if center is None:
        raise Http404(_("No such center in your area."))
    return center


def _dashboard_events(center: Center, department_id: int | None, subtree: list[int] | None = None):
    """The events a dashboard of `center` counts: first held in its subtree (the rule of
    `Scope.events`); for a department's dashboard only the department's tickets."""
    if subtree is not None and len(subtree) <= SUBTREE_LIST_LIMIT:
        events = Event.objects.filter(origin_center_id__in=subtree)
    else:
        events = Event.objects.filter(origin_center__path__startswith=center.path)
    if department_id is not None:
        tickets = EventAssignment.objects.filter(event=OuterRef("pk"), department_id=department_id)
        events = events.filter(Exists(tickets))
    return events


def _periods(now: datetime) -> dict[str, Period]:
    today = timezone.localdate(now)
    return {"today": Period.from_dates(today, today), "year": Period.from_dates(today.replace(month=1, day=1), today)}


def counts_for(center: Center | int, *, department_id: int | None = None, now: datetime | None = None) -> dict:
    """The dashboard figures of `center`'s subtree (of a department's tickets there if
    `department_id`): today, this year, and this year by child — towns for a district, communities
    for a town, grids for a community. Three queries (four for a community), no user needed; then
    the figures of the disputes, the special populations and the cameras (`video`: the online rate
    by network and by child, video.selectors.center_online_figures) of a center's dashboard.

    `{"date", "today": {...}, "year": {...}, "child_level", "by_child": [{"id", "name", ...}]}`, each
    figure set `{reported, open, overdue, closed, closure_rate, on_time_rate, escalations}`."""
    if not isinstance(center, Center):
        center = Center.objects.defer("boundary").get(pk=center)
    now = now or timezone.now()
    periods = _periods(now)
    subtree = list(
        Center.objects.filter(path__startswith=center.path).values_list("id", "code", "name", "level", "depth", "path")
    )
    ids = [row[0] for row in subtree]
    child_depth = center.depth + 1
    child_centers = sorted((row for row in subtree if row[4] == child_depth), key=lambda row: row[1])
    events = _dashboard_events(center, department_id, ids)
    if child_centers:
        child_level = child_centers[0][3]
        children = [(row[0], row[2]) for row in child_centers]
        child_by_code = {row[1]: row[0] for row in child_centers}
        if department_id is None:
            # The counters (events.figures), summed by child in the query: a few milliseconds whatever
            # the subtree's size. Keyed by the child's code ("" for the center's own events).
            grouped = figure_counts(center.path, now=now, by_depth=child_depth)
            child_of = child_by_code
        else:  # a department's tickets: the events table
            grouped = dashboard_counts(events, periods, now=now, group_by="origin_center_id")
            # Each center's child of `center` on the way down to it: the code one level below in its path.
            child_of = {}
            for row in subtree:
                codes = row[5].strip("/").split("/")
                if len(codes) > child_depth:
                    child_of[row[0]] = child_by_code.get(codes[child_depth])
    else:
        child_level = "grid"
        children = list(Grid.objects.filter(center=center).order_by("code").values_list("id", "name"))
        child_of = {pk: pk for pk, _name in children}
        grouped = dashboard_counts(events, periods, now=now, group_by="grid_id")
    totals = {name: dict.fromkeys(DASHBOARD_FIGURES, 0) for name in periods}
    per_child = {pk: dict.fromkeys(DASHBOARD_FIGURES, 0) for pk, _name in children}
    for key, counts in grouped.items():
        for name in periods:
            _add(totals[name], counts[name])
        child = child_of.get(key)
        if child is not None:
            _add(per_child[child], counts["year"])
    return {
        "date": timezone.localdate(now).isoformat(),
        "disputes": None if department_id is not None else dispute_figures(ids, periods, now=now),
        "care": None if department_id is not None else care_figures(ids, now=now),
        "video": None if department_id is not None else center_online_figures(center),
        "today": dashboard_figures(totals["today"]),
        "year": dashboard_figures(totals["year"]),
        "child_level": child_level,
        "by_child": [{"id": pk, "name": name, **dashboard_figures(per_child[pk])} for pk, name in children],
    }


def dispute_figures(subtree: list[int], periods: dict[str, Period], *, now: datetime) -> dict:
    """The dashboard's dispute figures for a subtree, in one query, by the definitions of the
    disputes' statistics (disputes.selectors): taken in today; open now; overdue now (a running
    phase past its deadline); open with an alarm; and this year's taken in, successful (an
    agreement reached) and success rate = successful ÷ taken in (the seed's 98.2 %)."""
    from django.db.models import Count

    from disputes.domain.states import OPEN_STATES
    from disputes.models import Dispute

    today, year = periods["today"], periods["year"]
    disputes = Dispute.objects.filter(origin_center_id__in=subtree)
    open_q = Q(state__in=list(OPEN_STATES))
    this_year = Q(created_at__gte=year.start, created_at__lt=year.end)
    row = disputes.aggregate(
        taken_in=Count("pk", filter=Q(created_at__gte=today.start, created_at__lt=today.end)),
        open=Count("pk", filter=open_q),
        overdue=Count("pk", filter=open_q & ~Q(phase="") & Q(due_at__lt=now)),
        alarms=Count("pk", filter=open_q & Q(alarmed_at__isnull=False)),
        year_taken_in=Count("pk", filter=this_year),
        year_successful=Count("pk", filter=this_year & Q(agreed_at__isnull=False)),
    )
    row["success_rate"] = row["year_successful"] / row["year_taken_in"] if row["year_taken_in"] else None
    return row


DISPUTE_ALARMS_CAP = 100


def dispute_alarms(user, subtree: list[int]) -> list[dict]:
    """Open disputes of the subtree with an alarm (signs of 民转刑 or a group dispute) or a red or
    orange risk, as the user may see them; latest changed first."""
    from disputes.domain.states import OPEN_STATES
    from disputes.models import Dispute

    disputes = scope_for(user).disputes(Dispute.objects.filter(origin_center_id__in=subtree))
    ids = list(
        disputes.filter(state__in=list(OPEN_STATES))
        .filter(Q(alarmed_at__isnull=False) | Q(risk__in=["red", "orange"]))
        .order_by("-updated_at", "-id")
        .values_list("id", flat=True)[:DISPUTE_ALARMS_CAP]
    )
    items = dispute_items(ids)
    return [items[pk] for pk in ids if pk in items]


def patrol_figures(subtree: list[int], *, now: datetime) -> dict:
    """The board's patrol figures (patrols.selectors.patrol_figures: under way, today, coverage of
    the current periods, missed this month)."""
    from patrols.selectors import patrol_figures as figures

    return figures(subtree, now=now)


def _live_patrols(user, subtree: list[int]) -> list[dict]:
    """The patrols under way in the subtree, for the map's live patrols layer (none for the roles
    that do not follow patrols). Their pushes come on the `patrols.<center>` stream."""
    from patrols.selectors import active_in, follows_patrols

    return active_in(subtree) if follows_patrols(user) else []


def sees_video(user) -> bool:
    """Whether the dashboard shows `user` its video panel: the roles that watch their whole subtree's
    cameras (accounts.scope.VIDEO_BY_ROLE: center roles and administrators)."""
    return scope_for(user).video in (EVERYTHING, SUBTREE)


def _add(into: dict, counts: dict) -> None:
    for figure, value in counts.items():
        into[figure] += value


def stream_counts(stream: str) -> dict:
    """`counts_for` of a dashboard stream named by `groups` ("center.<id>" or "department.<id>")."""
    kind, _, pk = stream.partition(".")
    if kind == "center":
        return counts_for(int(pk))
    if kind == "department":
        department = Department.objects.select_related("center").get(pk=int(pk))
        return counts_for(department.center, department_id=department.pk)
    raise ValueError(f"not a dashboard stream: {stream!r}")


def _current_seq(stream: str) -> int | None:
    """The stream's number now, or None if Redis cannot be asked (no pushes arrive then either;
    the page reloads its snapshot at the first numbered push)."""
    import redis

    try:
        return groups.current_seq(stream)
    except redis.RedisError:
        return None


def labels() -> dict:
    """The names of the codes in dashboard items, in the active language."""
    return {
        "state": {c.value: str(c.label) for c in State},
        "light": {c.value: str(c.label) for c in Light},
        "action": {c.value: str(c.label) for c in Action},
        "level": {c.value: str(c.label) for c in Level},
        "supervision": {c.value: str(c.label) for c in Supervision},
        "dispute_state": {c.value: str(c.label) for c in DisputeState},
        "risk": {c.value: str(c.label) for c in Risk},
        "signal": {c.value: str(c.label) for c in DisputeSignal},
    }


def snapshot_for(user, center: Center) -> dict:
    """The dashboard of `center` (from `dashboard_center`) as `user` may see it, with the number of
    the last push it contains. About a dozen queries, whatever the number of events."""
    stream = groups.dashboard_stream(user, center)
    seq = _current_seq(stream)  # before the queries: pushes numbered up to `seq` are in what follows
    now = timezone.now()
    department_id = user.department_id if groups.follows_department(user) else None
    subtree = list(Center.objects.filter(path__startswith=center.path).values_list("id", flat=True))
    # The user's own scope on top of the dashboard's rule: the two agree, and nothing else shows.
    events = scope_for(user).events(_dashboard_events(center, department_id, subtree))
    open_events = events.exclude(state__in=FINAL_STATES)
    feed_ids = list(events.order_by("-updated_at", "-id").values_list("id", flat=True)[:FEED_SIZE])
    alarm_ids = list(
        open_events.filter(Q(urgent=True) | Q(light=Light.RED))
        .order_by("-updated_at", "-id")
        .values_list("id", flat=True)[:ALARMS_CAP]
    )
    open_ids = list(open_events.order_by("-created_at", "-id").values_list("id", flat=True)[:OPEN_EVENTS_CAP])
    full = event_items(dict.fromkeys(feed_ids + alarm_ids))
    light = event_items([pk for pk in open_ids if pk not in full], last_actions=False)
    light.update(full)
    counts = counts_for(center, department_id=department_id, now=now)
    if not sees_video(user):
        counts["video"] = None  # the page has no video panel for them either
    return {
        "seq": seq,
        "stream": stream,
        "center": {"id": center.pk, "name": center.name, "level": center.level},
        "generated_at": now.isoformat(),
        "counts": counts,
        "feed": [full[pk] for pk in feed_ids if pk in full],
        "open_events": [{key: light[pk][key] for key in MAP_ITEM_KEYS} for pk in open_ids if pk in light],
        "alarms": [full[pk] for pk in alarm_ids if pk in full],
        "dispute_alarms": [] if department_id is not None else dispute_alarms(user, subtree),
        "care_alarms": [] if department_id is not None else care_alarms(subtree, now=now),
        "patrols": _live_patrols(user, subtree),
        "patrol_figures": patrol_figures(subtree, now=now) if department_id is None else None,
        "labels": labels(),
    }
