"""Every write to events: intake, the workflow actions, photos.

Each service validates, takes the event's row lock, writes, records one timeline row, and
sends `event_changed` after the commit. Only `event_transition` changes an event's state.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.scope import scope_for
from grids.models import Center, Department
from grids.selectors import BadCoordinates, GridNotFound, grid_at, point_from_lat_lng
from inbox.services import inbox_send
from wenjiang_ops import ratelimit

from .choices import Action, AssignmentRole, AssignmentState, Extension, Phase, Source, State, Supervision
from .clocks import next_due, reference, restart_deadline, shift_clocks, start_phase, write_schedule
from .domain import states
from .domain.permissions import ActorFacts, EventFacts, may
from .models import Attachment, Event, EventAction, EventAssignment
from .signals import event_changed

log = logging.getLogger(__name__)

DESCRIPTION_MAX = 2000
REASON_MAX = 2000
REOPEN_DAYS = getattr(settings, "EVENT_REOPEN_DAYS", 30)
MAX_EXTENSION_DAYS = 30

A, S = Action, State


class EventNotFound(Exception):
    """The event does not exist or is outside the user's scope (answered 404)."""


# --- intake ----------------------------------------------------------------------------------------


# Roles whose "urgent" is only a request, confirmed (or not) by the accepting center: volunteers
# report what they see, and an urgent event sounds alarms at three levels and shortens every limit.
URGENCY_IS_A_REQUEST = frozenset({Role.VOLUNTEER})
INTAKE_RULE = "intake"


def intake_limit(user: User) -> ratelimit.Limit | None:
    """How many reports `user` may send per window (settings.INTAKE_RATE_LIMITS, by role)."""
    limits = settings.INTAKE_RATE_LIMITS
    value = limits[user.role] if user.role in limits else settings.INTAKE_RATE_LIMIT_DEFAULT
    return ratelimit.Limit(*value) if value else None


def _default_source(user: User) -> str:
    return {Role.GRID_WORKER: Source.PATROL, Role.VOLUNTEER: Source.VOLUNTEER}.get(user.role, Source.CITIZEN)


def event_report(
    *,
    reporter: User,
    category_id,
    description: str,
    lat,
    lng,
    client_id,
    address: str = "",
    urgent: bool | None = None,
    source: str | None = None,
    center_id=None,
    now: datetime | None = None,
) -> tuple[Event, bool]:
    """Takes in a report. Returns (event, created): posting the same `client_id` again returns
    the event made the first time, never a second one (phones retry on bad networks).

    The grid comes from the point and the holding center is that grid's community; a point
    outside every grid is refused unless a center in the reporter's scope is chosen by hand.

    Each new report counts against the reporter's intake limit (`intake_limit`): over it, raises
    `ratelimit.RateLimited` (429), except for a retry of a report already taken in, which is
    answered as always and not counted."""
    errors: dict[str, list[str]] = {}
    try:
        client_uuid = uuid.UUID(str(client_id))
    except (TypeError, ValueError, AttributeError):
        errors["client_id"] = [_("client_id must be a UUID made by the client.")]
        client_uuid = None
    # No lookup first: the unique client_id refuses a second event, and the rare retry that
    # collides is answered below with the event made the first time.
    if errors:
        raise ValidationError(errors)
    event = report_build(
        reporter=reporter,
        category_id=category_id,
        description=description,
        lat=lat,
        lng=lng,
        client_id=client_uuid,
        address=address,
        urgent=urgent,
        source=source,
        center_id=center_id,
        now=now,
    )
    # Counted once the report is valid, before it is written: one cache round trip.
    counted = ratelimit.hit(INTAKE_RULE, reporter.pk, intake_limit(reporter))
    if not counted.allowed:
        existing = Event.objects.filter(client_id=client_uuid).first()
        if existing is not None:  # a phone retrying what was taken in: never refused
            ratelimit.undo(counted)
            return _same_reporter(existing, reporter), False
        raise ratelimit.RateLimited(
            counted.retry_after,
            _("Too many reports in a short time: try again in %(s)d seconds.") % {"s": counted.retry_after},
        )
    point = event.location
    now = event.created_at
    action = timeline_row(event, A.REPORT, reporter, from_state="", now=now, location=point)
    # One statement is atomic by itself: outside a transaction it needs no BEGIN/COMMIT; inside
    # one, a savepoint keeps a duplicate client_id from breaking the caller's transaction.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            _insert_event_and_first_row(event, action)
        # A lambda, not a partial: Django's robust on_commit logs a failure with the callback's
        # __qualname__, which a partial lacks (the failure would then escape after all).
        transaction.on_commit(lambda: _publish(event.pk, A.REPORT, action.pk), robust=True)
    except IntegrityError:
        # A retry (or two racing retries) of a report already taken in: answer with that event.
        existing = Event.objects.filter(client_id=client_uuid).first()
        if existing is None:
            raise
        ratelimit.undo(counted)  # a retry is not a new report
        return _same_reporter(existing, reporter), False
    return event, True


def report_build(
    *,
    reporter: User,
    category_id,
    description: str,
    lat,
    lng,
    client_id: uuid.UUID,
    address: str = "",
    urgent: bool | None = None,
    source: str | None = None,
    center_id=None,
    grid=None,
    now: datetime | None = None,
) -> Event:
    """Checks a report and builds its event (unsaved), with its holder, level and deadlines.
    `grid` skips the point lookup for callers that already know it (bulk imports)."""
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Describe what you found.")]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [
            _("The description is too long: %(n)d characters, at most %(max)d.")
            % {"n": len(description), "max": DESCRIPTION_MAX}
        ]
    if len(address or "") > 200:
        errors["address"] = [_("The address is too long (at most 200 characters).")]
    try:
        category = reference().categories.get(int(category_id))
    except (TypeError, ValueError):
        category = None
    if category is None or not category.active:
        errors["category"] = [_("Choose a category from the list.")]
    if source is not None and source not in Source.values:
        errors["source"] = [_("Unknown source.")]
    point = None
    try:
        point = point_from_lat_lng(lat, lng)
    except BadCoordinates as exc:
        errors["location"] = [str(exc)]

    center = grid.center if grid is not None else None
    if grid is None and point is not None and not errors.get("location"):
        try:
            grid = grid_at(point)
            center = grid.center
        except GridNotFound as exc:
            if center_id in (None, ""):
                errors["location"] = [str(exc) + " " + _("Choose the center by hand.")]
    if center_id not in (None, "") and grid is None and "location" not in errors:
        try:
            center = scope_for(reporter).centers().get(pk=int(center_id))
        except (Center.DoesNotExist, TypeError, ValueError):
            errors["center"] = [_("Choose a center in your area.")]
    if errors:
        raise ValidationError(errors)

    now = now or timezone.now()
    wanted = category.default_urgent if urgent is None else bool(urgent)
    requested = wanted and reporter.role in URGENCY_IS_A_REQUEST
    event = Event(
        client_id=client_id,
        category=category,
        description=description,
        location=point,
        address=(address or "").strip(),
        urgent=wanted and not requested,
        urgent_requested=requested,
        source=source or _default_source(reporter),
        reporter=reporter,
        grid=grid,
        origin_center=center,
        center=center,
        level=center.level,
        state=S.REPORTED,
        created_at=now,
    )
    start_phase(event, Phase.ACCEPT, now)
    event.accept_due_at = event.due_at
    restart_deadline(event, now)
    return event


_INSERT_STATEMENTS: dict[type, str] = {}


def _insert_sql(obj, fields) -> tuple[str, list]:
    """Django's own INSERT statement for `obj` (columns, placeholders) and its adapted values.
    The statement is compiled once per model; the values are adapted as the compiler does."""
    statement = _INSERT_STATEMENTS.get(type(obj))
    if statement is None:
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        [(statement, _params)] = query.get_compiler(using="default").as_sql()
        _INSERT_STATEMENTS[type(obj)] = statement
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection=connection) for field in fields]
    return statement, params


_EVENT_FIELDS = [f for f in Event._meta.concrete_fields if not f.primary_key]
_ACTION_FIELDS = [f for f in EventAction._meta.concrete_fields if not f.primary_key and f.name != "event"]


def _insert_event_and_first_row(event: Event, action: EventAction) -> None:
    """Writes a new event, its schedule and its first timeline row in ONE statement (a
    data-modifying CTE): intake is the hottest write, and each round trip costs as much as the
    insert itself. The event and timeline statements are Django's own, so they follow the models."""
    event_sql, event_params = _insert_sql(event, _EVENT_FIELDS)
    action_sql, action_params = _insert_sql(action, _ACTION_FIELDS)
    # INSERT INTO "t" (cols) VALUES (vals)  ->  INSERT INTO "t" ("event_id", cols) SELECT e.id, vals FROM e
    head, values = action_sql.split(" VALUES ", 1)
    table, columns = head.split(" (", 1)
    due = next_due(event)
    schedule, schedule_params = "", []
    if due is not None:  # always, for a new report (its accept clock runs)
        schedule = ', s AS (INSERT INTO "events_eventschedule" ("event_id", "next_due_at") SELECT e.id, %s FROM e)'
        schedule_params = [due]
    statement = (
        f'WITH e AS ({event_sql} RETURNING "id"){schedule} '
        f'{table} ("event_id", {columns} SELECT e.id, {values.strip()[1:-1]} FROM e RETURNING "event_id", "id"'
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, event_params + schedule_params + action_params)
        event.pk, action.pk = cursor.fetchone()
    event._state.adding = action._state.adding = False
    action.event = event


def _same_reporter(event: Event, reporter: User) -> Event:
    if event.reporter_id != reporter.pk:
        raise ValidationError({"client_id": _("This client_id was already used for another report.")})
    return event


# --- machines: alarms and other systems' intake ---------------------------------------------------


def event_report_system(
    *,
    reporter: User,
    category_id,
    description: str,
    lat,
    lng,
    client_id: uuid.UUID,
    grid=None,
    urgent: bool | None = None,
    source: str,
    address: str = "",
    data: dict | None = None,
    now: datetime | None = None,
) -> tuple[Event, bool]:
    """Takes in a report from another system (an IoT alarm source …), reported by that system's
    (inactive) account: the same checks, holder, clocks, first timeline row and push as
    `event_report`, without the per-person intake limit (the system's own limits apply before it).
    `data` goes on the first timeline row. Returns (event, created); the same `client_id` again
    returns the event made the first time. Inside the caller's transaction, under a savepoint."""
    event = report_build(
        reporter=reporter,
        category_id=category_id,
        description=description,
        lat=lat,
        lng=lng,
        client_id=client_id,
        address=address,
        urgent=urgent,
        source=source,
        grid=grid,
        now=now,
    )
    action = timeline_row(event, A.REPORT, reporter, from_state="", now=event.created_at, data=data)
    action.location = event.location
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            _insert_event_and_first_row(event, action)
    except IntegrityError:
        existing = Event.objects.filter(client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    transaction.on_commit(lambda: _publish(event.pk, A.REPORT, action.pk), robust=True)
    return event, True


def event_notes_add(
    *, event_id: int, actor: User | None, notes: list[tuple[datetime, str, dict]], publish: bool = True
) -> list[EventAction]:
    """Records on an event's timeline what another system reported again about it (an alarm repeated):
    one "report" row per (at, reason, data), the state unchanged. Takes the event's row lock. With
    `publish` the dashboards hear of it after the commit (a caller adding to many events at once
    uses `event_notes_add_many`)."""
    rows = event_notes_add_many(notes={event_id: (actor, notes)}, publish=False)
    if publish and rows:
        transaction.on_commit(lambda: _publish(event_id, A.REPORT, rows[-1].pk), robust=True)
    return rows


def event_notes_add_many(
    *, notes: dict[int, tuple[User | None, list[tuple[datetime, str, dict]]]], publish: bool = True
) -> list[EventAction]:
    """`event_notes_add` for many events at once (event id -> (actor, notes)): their row locks in one
    statement, in id order (as every batch takes them), the rows in one insert, one push after the
    commit."""
    events = Event.objects.select_for_update(of=("self",)).filter(pk__in=list(notes)).order_by("pk")
    rows = [
        timeline_row(
            event, A.REPORT, notes[event.pk][0], from_state=event.state, now=at, reason=reason[:REASON_MAX], data=data
        )
        for event in events
        for at, reason, data in notes[event.pk][1]
    ]
    EventAction.objects.bulk_create(rows)
    if publish and rows:
        ids = list(notes)
        transaction.on_commit(lambda: publish_many(ids, A.REPORT), robust=True)
    return rows


# --- the workflow ----------------------------------------------------------------------------------


def dispatch_departments(actor: User):
    """The departments `actor` may dispatch to: the active ones serving the actor's area (at its
    center or above, or inside it). The one rule: the page offers these, the service accepts these."""
    return scope_for(actor).departments().filter(active=True)


def _dispatchable(store, actor: User, value, field: str) -> Department:
    department = store.department(value, field)
    if not store.serves(actor, department):
        raise ValidationError(
            {
                field: _("%(department)s does not serve your area: choose a department that does.")
                % {"department": department.name}
            }
        )
    return department


class DbStore:
    """Where the workflow reads the few things it looks up and writes assignments: the database.

    The demo generator passes an in-memory store with the same methods, so that a year of
    history goes through the same rules (`apply_action`) and is then written in bulk."""

    def department(self, value, field: str) -> Department:
        try:
            return Department.objects.get(pk=int(value), active=True)
        except (Department.DoesNotExist, TypeError, ValueError):
            raise ValidationError({field: _("Choose an active department.")}) from None

    def serves(self, actor: User, department: Department) -> bool:
        return dispatch_departments(actor).filter(pk=department.pk).exists()

    def grid_worker(self, value) -> User:
        try:
            return User.objects.select_related("center").get(pk=int(value), role=Role.GRID_WORKER, is_active=True)
        except (User.DoesNotExist, TypeError, ValueError):
            raise ValidationError({"assignee": _("Choose a grid worker.")}) from None

    def parent_center(self, center: Center) -> Center | None:
        return Center.objects.filter(pk=center.parent_id).first() if center.parent_id else None

    def merge_target(self, actor: User, event_id: int) -> Event | None:
        return scope_for(actor).events().filter(pk=event_id).first()

    def save_assignment(self, assignment: EventAssignment, fields: list[str]) -> None:
        assignment.save(update_fields=fields)

    def add_assignments(self, event: Event, rows: list[EventAssignment]) -> None:
        EventAssignment.objects.bulk_create(rows)


DB = DbStore()


def timeline_row(
    event: Event,
    action: Action,
    actor: User | None,
    *,
    from_state: str,
    now: datetime,
    reason: str = "",
    data: dict | None = None,
    location=None,
) -> EventAction:
    """The timeline row of a step (unsaved)."""
    return EventAction(
        event=event,
        action=action,
        actor=actor,
        actor_role=actor.role if actor else "",
        actor_center_id=actor.center_id if actor else None,
        actor_department_id=actor.department_id if actor else None,
        level=event.level,
        from_state=from_state,
        to_state=event.state,
        reason=reason,
        data=data or {},
        location=location,
        created_at=now,
    )


def _publish(event_id: int, action: str, action_id: int | None) -> None:
    event_changed.send(sender=Event, event_ids=[event_id], action=str(action), action_id=action_id)


def publish_many(event_ids: list[int], action: str) -> None:
    """One signal for a batch of events changed together (the engine's clock steps)."""
    if event_ids:
        event_changed.send(sender=Event, event_ids=list(event_ids), action=str(action), action_id=None)


def actor_facts(user: User) -> ActorFacts:
    center = user.center
    return ActorFacts(
        user_id=user.pk,
        role=user.role,
        center_path=center.path if center else None,
        department_id=user.department_id,
        is_admin=user.is_superuser or user.role == Role.ADMIN,
    )


def event_facts(event: Event, assignments: list[EventAssignment]) -> EventFacts:
    return EventFacts(
        state=event.state,
        center_path=event.center.path,
        reporter_id=event.reporter_id,
        assignee_id=event.assignee_id,
        verifier_id=event.verifier_id,
        departments={a.department_id: a.state for a in assignments if a.active},
    )


def event_available_actions(event: Event, user: User, assignments: list[EventAssignment] | None = None) -> list[str]:
    """The actions `user` may take on `event` now: allowed by the state table, by permissions,
    and by the extension request's state (approving needs a pending request, asking needs none)."""
    if assignments is None:
        assignments = list(event.assignments.filter(active=True))
    actor, facts = actor_facts(user), event_facts(event, assignments)
    pending = event.extension == Extension.PENDING
    needs_pending = {A.APPROVE_EXTENSION: True, A.REFUSE_EXTENSION: True, A.REQUEST_EXTENSION: False}
    return [
        a.value
        for a in states.allowed_actions(event.state)
        if may(actor, facts, a) and needs_pending.get(a, pending) == pending
    ]


REASON_REQUIRED = {
    A.REJECT,
    A.RETURN,
    A.VERIFY_FAIL,
    A.ESCALATE,
    A.SUSPEND,
    A.SUPERVISE,
    A.REQUEST_EXTENSION,
    A.REFUSE_EXTENSION,
    A.REPLY,
    A.REOPEN,
    A.MERGE,
}


@transaction.atomic
def event_transition(
    *,
    event_id: int,
    action: str,
    actor: User,
    now: datetime | None = None,
    attachments=(),
    **params,
) -> Event:
    """Applies one workflow action. Takes the event's row lock and its active assignments'.
    Raises EventNotFound (404), IllegalTransition (409), PermissionDenied (403) or
    ValidationError (400), and then writes nothing. `params` are those of `apply_action`."""
    visible = scope_for(actor).events(Event.objects.filter(pk=event_id))
    if not visible.exists():
        raise EventNotFound(_("No such event in your area."))
    event = Event.objects.select_for_update(of=("self",)).select_related("center").get(pk=event_id)
    assignments = list(event.assignments.select_for_update().filter(active=True))
    now = now or timezone.now()
    from_state = event.state
    action, data = apply_action(event, action=action, actor=actor, assignments=assignments, now=now, store=DB, **params)
    linked = _attachments(event, attachments, actor)
    if linked:
        data["attachments"] = [a.pk for a in linked]
    event.save()
    write_schedule(event)
    row = timeline_row(event, action, actor, from_state=from_state, now=now, reason=data.pop("_reason"), data=data)
    row.save()
    if linked:
        Attachment.objects.filter(pk__in=[a.pk for a in linked]).update(action=row)
    transaction.on_commit(lambda: _publish(event.pk, action, row.pk), robust=True)  # a lambda: see event_report
    departments = [a.department_id for a in assignments if a.active]  # the active ones, after the step
    _tell_whoever_acts_next(event, action, actor, data, row.reason, departments)  # after the event's push
    return event


@transaction.atomic
def event_rate(*, event_id: int, satisfied: bool, channel: str, note: str = "", now: datetime | None = None) -> Event:
    """Stores the citizen's own rating of a closed event (the 12345 hotline's return call, 回访):
    `satisfied` then counts in the statistics (selectors: satisfaction = satisfied / rated closings),
    in place of what the verifying staff noted. A system step (no actor) by the integration named
    `channel`, on the timeline. Takes the event's row lock.

    Raises EventNotFound (404) or IllegalTransition (409: the event is not closed)."""
    event = Event.objects.select_for_update(of=("self",)).filter(pk=event_id).first()
    if event is None:
        raise EventNotFound(_("No such event."))
    states.next_state(event.state, A.RATE)  # IllegalTransition unless closed
    note = (note or "").strip()[:REASON_MAX]
    event.satisfied = bool(satisfied)
    event.save(update_fields=["satisfied", "updated_at"])
    data = {"satisfied": event.satisfied, "channel": str(channel)[:40]}
    row = timeline_row(event, A.RATE, None, from_state=event.state, now=now or timezone.now(), reason=note, data=data)
    row.save()
    transaction.on_commit(lambda: _publish(event.pk, A.RATE, row.pk), robust=True)
    return event


# Inbox messages of the workflow's own steps (the escalation engine's are in engine.MESSAGES).
STEP_MESSAGES = {
    "ticket": gettext_lazy("New ticket: event %(number)s (%(category)s) waits for your department to sign for it."),
    "task": gettext_lazy("New task: event %(number)s (%(category)s) was given to you."),
    "urge": gettext_lazy("Event %(number)s (%(category)s) was urged by %(by)s: %(reason)s"),
    "yellow_card": gettext_lazy("Event %(number)s (%(category)s): a yellow card from %(by)s: %(reason)s"),
    "red_card": gettext_lazy(
        "Event %(number)s (%(category)s): a red card from %(by)s, a written reply is required: %(reason)s"
    ),
    "returned": gettext_lazy("Event %(number)s (%(category)s) was returned by %(by)s: %(reason)s"),
    "handled": gettext_lazy("Event %(number)s (%(category)s) was handled by %(by)s: please verify it."),
    "extension": gettext_lazy("%(by)s asks for %(days)s more days for event %(number)s (%(category)s): %(reason)s"),
    "rework": gettext_lazy("Event %(number)s (%(category)s) failed verification, please handle it again: %(reason)s"),
}
# Who hears, in a center, of what happens to the events it holds (as the engine's messages).
CENTER_INBOX_ROLES = (Role.CENTER_STAFF, Role.DUTY_OFFICER, Role.DUTY_LEADER)


def _tell_whoever_acts_next(
    event: Event, action: str, actor: User, data: dict, reason: str, departments: list[int]
) -> None:
    """The inbox message of a step, to whoever must act next (not the one who acted)."""
    center = event.center_id
    if action == Action.DISPATCH:
        _tell_the_assigned(event, actor, data)
    elif action in (Action.URGE, Action.SUPERVISE):
        _tell_the_urged(event, action, actor, data, reason, departments)
    elif action == Action.RETURN:  # the holding center dispatches again
        _tell(event, actor, "returned", _people(center=center), by=_by(actor), reason=reason)
    elif action == Action.REQUEST_EXTENSION:  # the holding center approves or refuses
        _tell(
            event, actor, "extension", _people(center=center), by=_by(actor), reason=reason, days=data.get("days", "")
        )
    elif action == Action.HANDLE and event.state == State.HANDLED:  # every department done: verify
        _tell(event, actor, "handled", _people(center=center), by=_by(actor))
    elif action == Action.VERIFY_FAIL and event.state == State.IN_PROGRESS and departments:
        _tell(event, actor, "rework", _people(departments=departments), reason=reason)


def _by(actor: User) -> str:
    """Who acted, as a message names them: their department (department staff belong to a center
    too), or their center, else their name."""
    if actor.department_id:
        return actor.department.name
    if actor.center_id:
        return actor.center.name
    return actor.get_full_name() or actor.username


def _tell_the_assigned(event: Event, actor: User, data: dict) -> None:
    """After a dispatch: the staff of the lead and the assisting departments get a ticket to sign
    for, or the grid worker a task (handling, or checking on site)."""
    if data.get("lead_department"):
        departments = [data["lead_department"], *data.get("departments", ())]
        _tell(event, actor, "ticket", _people(departments=departments))
    elif data.get("assignee"):
        _tell(event, actor, "task", [data["assignee"]])


def _tell_the_urged(event: Event, action: str, actor: User, data: dict, reason: str, departments: list[int]) -> None:
    """After an urge (催办) or a card from a higher center: whoever must act hears of it, as the
    engine's warnings go: the departments while they hold the event (signing for it or handling
    it), else the holding center; a card reaches both."""
    kind = "urge" if action == Action.URGE else str(data.get("card", ""))
    if kind not in STEP_MESSAGES:
        return
    people = who_hears(kind, center=event.center_id, phase=event.phase, departments=departments)
    _tell(event, actor, kind, people, by=_by(actor), reason=reason or gettext_lazy("please act on it"))


# Pushes to act, by hand (urge, cards) or by the engine's clock (warning, overdue's yellow card, red card).
URGES = frozenset({"urge", "warning"})
CARDS = frozenset({"yellow_card", "overdue", "red_card"})


def who_hears(kind: str, *, center: int, phase: str, departments: list[int]) -> list[int]:
    """Who hears of a push to act on an event: while departments hold it (signing for it or handling
    it) an urge or a warning goes to them and not to the holding center, a card to both; anything
    else (an escalation) to the holding center alone. The escalation engine writes the same rule in
    SQL (engine._TOLD); tests/events/test_sweep_paths.py proves the two agree."""
    holding = phase in (Phase.SIGN, Phase.HANDLE) and bool(departments)
    if kind in URGES:
        return _people(departments=departments) if holding else _people(center=center)
    people = _people(center=center)
    if kind in CARDS and holding:
        people += _people(departments=departments)
    return people


def _people(*, center: int | None = None, departments: list[int] = ()) -> list[int]:
    """The active users who hear for a center (its staff and duty officers) or for departments."""
    if center is not None:
        people = User.objects.filter(center_id=center, role__in=CENTER_INBOX_ROLES)
    else:
        people = User.objects.filter(department_id__in=departments, role=Role.DEPARTMENT_STAFF)
    return list(people.filter(is_active=True).values_list("pk", flat=True))


def _tell(event: Event, actor: User, kind: str, people: list[int], **values) -> None:
    """Inbox messages of a step, to `people` but the one who acted, written with it under a
    savepoint (a failure loses the messages, never the step), and sent after the commit (the push,
    and SMS for the urgent kinds): inbox.services.inbox_send."""
    people = [pk for pk in people if pk != actor.pk]
    if not people:
        return
    with translation.override(settings.LANGUAGE_CODE):  # stored text, in the platform's language
        text = str(STEP_MESSAGES[kind]) % {
            "number": event.number,
            "category": reference().categories[event.category_id].name,
            **{name: str(value) for name, value in values.items()},
        }
    inbox_send(users=people, kind=kind, message=text, subject=event)


def apply_action(
    event: Event,
    *,
    action: str,
    actor: User,
    assignments: list[EventAssignment],
    now: datetime,
    store: DbStore,
    reason: str = "",
    lead_department=None,
    departments=(),
    assignee=None,
    days=None,
    merge_into=None,
    card: str | None = None,
    satisfied: bool | None = None,
    confirm_urgent: bool | None = None,
) -> tuple[Action, dict]:
    """The rules of one action on a loaded event: the state table, permissions, input checks and
    effects. Changes `event` (and assignments through `store`) in memory; returns the action and
    the timeline row's data (with the cleaned reason under "_reason")."""
    try:
        action = Action(action)
    except ValueError:
        raise ValidationError({"action": _("Unknown action: %(a)s.") % {"a": action}}) from None
    target = states.next_state(event.state, action)  # IllegalTransition
    if not may(actor_facts(actor), event_facts(event, assignments), action):
        raise PermissionDenied(
            _("You may not take the action “%(action)s” on this event.") % {"action": Action(action).label}
        )
    if action == A.ATTACH:  # its step carries the photos: see attachments_add
        raise ValidationError({"action": _("Photos are added by uploading them (POST /api/events/{id}/attachments/).")})
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("The text is too long (at most %(max)d characters).") % {"max": REASON_MAX}})
    if action in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    data: dict = {}
    handler = _EFFECTS.get(action)
    if handler is not None:
        target = handler(
            event,
            actor=actor,
            target=target,
            now=now,
            assignments=assignments,
            data=data,
            reason=reason,
            lead_department=lead_department,
            departments=departments,
            assignee=assignee,
            days=days,
            merge_into=merge_into,
            card=card,
            satisfied=satisfied,
            confirm_urgent=confirm_urgent,
            store=store,
        )
    event.state = target
    data["_reason"] = reason
    return action, data


def _attachments(event: Event, ids, actor: User) -> list[Attachment]:
    """The actor's own photos waiting for this step (see `_photo_placement`)."""
    if not ids:
        return []
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise ValidationError({"attachments": _("Attachments are given by their ids.")}) from None
    found = list(Attachment.objects.filter(event=event, pk__in=wanted, action__isnull=True, uploaded_by=actor))
    if len(found) != len(wanted):
        raise ValidationError({"attachments": _("Unknown photo, or one already used by another step.")})
    return found


def _effect_accept(event, *, now, target, confirm_urgent, data, **kw):
    """Accepting decides a volunteer's request for urgency: confirmed, the event is urgent from now
    (urgent limits counted from the confirmation, the alarms sound); otherwise it stays ordinary.
    The timeline row records the decision."""
    event.accepted_at = event.accepted_at or now
    if confirm_urgent and not event.urgent_requested:
        raise ValidationError(
            {"confirm_urgent": _("The reporter did not ask for urgency: there is nothing to confirm.")}
        )
    if event.urgent_requested:
        data["urgent_request"] = "confirmed" if confirm_urgent else "declined"
        event.urgent_requested = False
        if confirm_urgent:
            event.urgent = True
            start_phase(event, states.PHASE_OF_STATE[State(target)], now)
            restart_deadline(event, now)
    return target


def _effect_merge(event, *, actor, target, merge_into, data, **kw):
    try:
        survivor_id = int(merge_into)
    except (TypeError, ValueError):
        raise ValidationError({"merge_into": _("Give the event to merge into.")}) from None
    if survivor_id == event.pk:
        raise ValidationError({"merge_into": _("An event cannot be merged into itself.")})
    survivor = kw["store"].merge_target(actor, survivor_id)
    if survivor is None or not states.is_open(survivor.state):
        raise ValidationError({"merge_into": _("The event to merge into must be open and in your area.")})
    event.merged_into_id = survivor.pk
    start_phase(event, None, kw["now"])
    data["merged_into"] = survivor.pk
    return target


def _effect_reject(event, *, now, target, **kw):
    start_phase(event, None, now)
    return target


def _effect_self_handle(event, *, now, target, **kw):
    event.handled_at = now
    event.accepted_at = event.accepted_at or now  # handling on the spot accepts it too
    start_phase(event, Phase.VERIFY, now)
    return target


def _grid_worker(value, event: Event, store) -> User:
    user = store.grid_worker(value)
    if user.center is None or not user.center.path.startswith(event.center.path):
        raise ValidationError({"assignee": _("The grid worker must work in the area of the holding center.")})
    return user


def _effect_dispatch(
    event, *, actor, now, target, assignments, data, lead_department, departments, assignee, store, **kw
):
    if event.state == S.HANDLED:
        # Verification on site by a grid worker.
        if assignee in (None, ""):
            raise ValidationError({"assignee": _("Choose the grid worker who verifies on site.")})
        # The verifier, not a handler: the handling assignee (if any) keeps its role for a rework.
        event.verifier = _grid_worker(assignee, event, store)
        data["assignee"] = event.verifier_id
        data["role"] = "verifier"  # the timeline says which role the grid worker was given
        return target
    if assignee not in (None, "") and lead_department in (None, ""):
        event.assignee = _grid_worker(assignee, event, store)
        data["assignee"] = event.assignee_id
    elif lead_department not in (None, ""):
        lead = _dispatchable(store, actor, lead_department, "lead_department")
        assisting = []
        for value in departments or ():
            department = _dispatchable(store, actor, value, "departments")
            if department.pk != lead.pk and department not in assisting:
                assisting.append(department)
        for old in assignments:
            old.active = False
            store.save_assignment(old, ["active"])
        store.add_assignments(
            event,
            [EventAssignment(event=event, department=lead, role=AssignmentRole.LEAD, dispatched_at=now)]
            + [
                EventAssignment(event=event, department=d, role=AssignmentRole.ASSIST, dispatched_at=now)
                for d in assisting
            ],
        )
        event.assignee = None
        data.update(lead_department=lead.pk, departments=[d.pk for d in assisting])
    else:
        raise ValidationError({"lead_department": _("Choose a lead department or a grid worker.")})
    event.accepted_at = event.accepted_at or now
    event.dispatched_at = now
    start_phase(event, Phase.SIGN, now)
    return target


def _own_assignment(assignments, actor) -> EventAssignment | None:
    if actor.role != Role.DEPARTMENT_STAFF:
        return None
    return next((a for a in assignments if a.department_id == actor.department_id), None)


def _effect_sign(event, *, actor, now, assignments, data, **kw):
    own = _own_assignment(assignments, actor)
    if own is not None:
        own.state, own.signed_at = AssignmentState.SIGNED, now
        kw["store"].save_assignment(own, ["state", "signed_at"])
        data["department"] = own.department_id
    lead_signed = own is None or own.role == AssignmentRole.LEAD
    target = states.after_sign(event.state, lead_signed=lead_signed)
    if target != event.state:
        start_phase(event, Phase.HANDLE, now)
    return target


def _effect_return(event, *, actor, now, assignments, data, **kw):
    own = _own_assignment(assignments, actor)
    lead_returned = own is None or own.role == AssignmentRole.LEAD
    if lead_returned:
        for a in assignments:
            a.active = False
            if a.pk == getattr(own, "pk", None):
                a.state = AssignmentState.RETURNED
            kw["store"].save_assignment(a, ["active", "state"])
        event.assignee = None
        event.returns += 1
        event.extension, event.extension_days = Extension.NONE, 0
        start_phase(event, Phase.ACCEPT, now)
    else:
        own.active, own.state = False, AssignmentState.RETURNED
        kw["store"].save_assignment(own, ["active", "state"])
    if own is not None:
        data["department"] = own.department_id
    return states.after_return(event.state, lead_returned=lead_returned)


def _effect_handle(event, *, actor, now, assignments, data, **kw):
    own = _own_assignment(assignments, actor)
    if own is not None:
        own.state, own.handled_at = AssignmentState.HANDLED, now
        kw["store"].save_assignment(own, ["state", "handled_at"])
        data["department"] = own.department_id
    all_done = all(a.state == AssignmentState.HANDLED for a in assignments) if assignments else True
    target = states.after_handle(event.state, all_done=all_done)
    if target != event.state:
        event.handled_at = now
        start_phase(event, Phase.VERIFY, now)
    return target


def _effect_verify_pass(event, *, now, target, satisfied, data, **kw):
    event.closed_at = now
    event.satisfied = satisfied if satisfied in (True, False) else None
    if event.satisfied is not None:
        data["satisfied"] = event.satisfied
    start_phase(event, None, now)
    return target


def _effect_verify_fail(event, *, now, target, assignments, **kw):
    # Rework goes back to the handlers only: the verifier stays named (who checked) but its rights
    # end with the verifying state (see domain.permissions.may).
    event.reworks += 1
    if target == S.IN_PROGRESS:
        for a in assignments:
            if a.state == AssignmentState.HANDLED:
                a.state, a.handled_at = AssignmentState.SIGNED, None
                kw["store"].save_assignment(a, ["state", "handled_at"])
        start_phase(event, Phase.HANDLE, now)
    else:
        start_phase(event, Phase.ACCEPT, now)
    event.handled_at = None
    return target


def _effect_escalate(event, *, actor, now, target, data, **kw):
    escalate_to_parent(event, now=now, data=data, store=kw["store"])
    return target


def escalate_to_parent(event: Event, *, now: datetime, data: dict, store: DbStore = DB) -> None:
    """Moves the event to its holder's parent center; the clocks restart at the new level.
    The caller holds the event's row lock, and writes the event and its schedule (`next_due`)."""
    parent = store.parent_center(event.center)
    if parent is None:
        raise states.IllegalTransition(
            event.state,
            Action.ESCALATE,
            _("%(center)s is the highest center: there is no level above.") % {"center": event.center.name},
        )
    data.update(from_center=event.center_id, to_center=parent.pk, from_level=event.level, to_level=parent.level)
    event.center, event.level = parent, parent.level
    event.escalations += 1
    phase = states.PHASE_OF_STATE[State(event.state)]
    start_phase(event, phase, now)
    restart_deadline(event, now)


def _effect_suspend(event, *, now, target, **kw):
    event.suspended_from, event.suspended_at = event.state, now
    return target  # the clocks stop while suspended: see next_due


def _effect_resume(event, *, now, data, **kw):
    paused = now - (event.suspended_at or now)
    # Suspended time does not count: the running moments and the deadline move by the pause.
    shift_clocks(event, paused)
    data["paused_seconds"] = int(paused.total_seconds())
    target = states.resume_state(event.state, suspended_from=event.suspended_from)
    event.suspended_from, event.suspended_at = "", None
    return target


def _days(days) -> int:
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_EXTENSION_DAYS:
        raise ValidationError({"days": _("An extension is 1 to %(max)d days.") % {"max": MAX_EXTENSION_DAYS}})
    return value


def _effect_request_extension(event, *, target, days, data, **kw):
    if event.extension == Extension.PENDING:
        raise states.IllegalTransition(
            event.state, Action.REQUEST_EXTENSION, _("An extension request is already pending.")
        )
    event.extension, event.extension_days = Extension.PENDING, _days(days)
    data["days"] = event.extension_days
    return target


def _effect_approve_extension(event, *, target, data, **kw):
    if event.extension != Extension.PENDING:
        raise states.IllegalTransition(event.state, Action.APPROVE_EXTENSION, _("No extension request is pending."))
    shift_clocks(event, timedelta(days=event.extension_days))
    event.extension = Extension.APPROVED
    data["days"] = event.extension_days
    return target


def _effect_refuse_extension(event, *, target, **kw):
    if event.extension != Extension.PENDING:
        raise states.IllegalTransition(event.state, Action.REFUSE_EXTENSION, _("No extension request is pending."))
    event.extension = Extension.REFUSED
    return target


SUPERVISION_ORDER = [Supervision.NONE, Supervision.URGE, Supervision.YELLOW_CARD, Supervision.RED_CARD]


def _raise_supervision(event: Event, level: Supervision) -> None:
    if SUPERVISION_ORDER.index(Supervision(level)) > SUPERVISION_ORDER.index(Supervision(event.supervision)):
        event.supervision = level


def _effect_urge(event, *, target, **kw):
    _raise_supervision(event, Supervision.URGE)
    return target


def _effect_supervise(event, *, target, card, data, **kw):
    if card not in (Supervision.YELLOW_CARD, Supervision.RED_CARD):
        raise ValidationError({"card": _("Choose a yellow or a red card.")})
    _raise_supervision(event, Supervision(card))
    data["card"] = card
    return target


def _effect_reopen(event, *, now, target, **kw):
    if event.closed_at and now - event.closed_at > timedelta(days=REOPEN_DAYS):
        raise ValidationError(
            {"action": _("Only events closed in the last %(days)d days can be reopened.") % {"days": REOPEN_DAYS}}
        )
    event.closed_at = None
    event.satisfied = None
    start_phase(event, Phase.ACCEPT, now)
    restart_deadline(event, now)
    return target


_EFFECTS = {
    A.ACCEPT: _effect_accept,
    A.REJECT: _effect_reject,
    A.MERGE: _effect_merge,
    A.SELF_HANDLE: _effect_self_handle,
    A.DISPATCH: _effect_dispatch,
    A.SIGN: _effect_sign,
    A.RETURN: _effect_return,
    A.HANDLE: _effect_handle,
    A.VERIFY_PASS: _effect_verify_pass,
    A.VERIFY_FAIL: _effect_verify_fail,
    A.ESCALATE: _effect_escalate,
    A.SUSPEND: _effect_suspend,
    A.RESUME: _effect_resume,
    A.REQUEST_EXTENSION: _effect_request_extension,
    A.APPROVE_EXTENSION: _effect_approve_extension,
    A.REFUSE_EXTENSION: _effect_refuse_extension,
    A.URGE: _effect_urge,
    A.SUPERVISE: _effect_supervise,
    A.REOPEN: _effect_reopen,
}


# --- photos ------------------------------------------------------------------------------------------

PHOTO_ON_REPORT, PHOTO_PENDING, PHOTO_STEP = "report", "pending", "step"


def _photo_placement(event: Event, uploader: User, kind: str, assignments: list[EventAssignment]) -> str:
    """Where photos added now go, once the uploader may add them at all (adding photos is a step:
    the state table refuses it once the event is final, 409; `may` says who, 403):

    - the reporter's own photos of a report still waiting for acceptance join the report step;
    - an after-photo of whoever may report the event handled now waits, unseen by others, for the
      handling step that names it (`event_transition(attachments=...)`);
    - otherwise a new `attach` step of the timeline carries them."""
    states.next_state(event.state, A.ATTACH)  # IllegalTransition
    actor, facts = actor_facts(uploader), event_facts(event, assignments)
    if not may(actor, facts, A.ATTACH):
        raise PermissionDenied(_("You may not add photos to this event now."))
    if kind == Attachment.Kind.REPORT and event.state == S.REPORTED and event.reporter_id == uploader.pk:
        return PHOTO_ON_REPORT
    if kind == Attachment.Kind.AFTER and (event.state, A.HANDLE) in states.TRANSITIONS and may(actor, facts, A.HANDLE):
        return PHOTO_PENDING
    return PHOTO_STEP


def attachments_add(
    *,
    event_id: int,
    uploader: User,
    uploads,
    kind: str = Attachment.Kind.REPORT,
    reason: str = "",
    content_length: int | None = None,
    now: datetime | None = None,
) -> list[Attachment]:
    """Adds photos to an event, as a step of its timeline (see `_photo_placement`). Takes the
    event's row lock, briefly: the photos are checked and re-encoded before it.

    Raises EventNotFound (404), IllegalTransition (409), PermissionDenied (403), ValidationError
    (400), TooLarge (413) or NotAnImage (415), and then writes nothing. Every refusal comes before
    any photo is decoded: the request's size and count, the visibility and the permission, then
    each file's header (format, pixels)."""
    from .attachments import check_request, clean_image

    uploads = list(uploads or ())
    if not uploads:
        raise ValidationError({"image": [_("Attach at least one photo.")]})
    if kind not in Attachment.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of photo.")})
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("The text is too long (at most %(max)d characters).") % {"max": REASON_MAX}})
    check_request(uploads, content_length=content_length)
    event = scope_for(uploader).events(Event.objects.filter(pk=event_id)).select_related("center").first()
    if event is None:
        raise EventNotFound(_("No such event in your area."))
    _photo_placement(event, uploader, kind, list(event.assignments.filter(active=True)))  # no decoding for a refusal
    cleaned = [clean_image(upload) for upload in uploads]
    now = now or timezone.now()
    written: list[str] = []
    try:
        with transaction.atomic():
            event = Event.objects.select_for_update(of=("self",)).select_related("center").get(pk=event_id)
            # Again under the lock: the event may have moved on while the photos were re-encoded.
            placement = _photo_placement(event, uploader, kind, list(event.assignments.filter(active=True)))
            step = None
            if placement == PHOTO_ON_REPORT:
                step = event.actions.filter(action=A.REPORT).order_by("created_at", "id").first()
            if placement == PHOTO_STEP or (placement == PHOTO_ON_REPORT and step is None):
                data = {"kind": kind, "photos": len(cleaned)}
                step = timeline_row(
                    event, A.ATTACH, uploader, from_state=event.state, now=now, reason=reason, data=data
                )
                step.save()
                transaction.on_commit(lambda: _publish(event.pk, A.ATTACH, step.pk), robust=True)
            added = []
            for image, thumbnail, size in cleaned:
                attachment = Attachment(event=event, kind=kind, uploaded_by=uploader, size=size, action=step)
                attachment.image.save(image.name, image, save=False)
                written.append(attachment.image.name)
                attachment.thumbnail.save(thumbnail.name, thumbnail, save=False)
                written.append(attachment.thumbnail.name)
                attachment.save()
                added.append(attachment)
    except BaseException:
        for name in written:  # no file without its row
            Attachment._meta.get_field("image").storage.delete(name)
        raise
    return added
