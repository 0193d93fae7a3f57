"""The escalation engine (预警督办, 层层向上呼叫): one periodic sweep over the events whose next moment
has come.

The sweep claims due events in bounded batches (`FOR UPDATE SKIP LOCKED` over the partial index on
`next_due_at`), and for each one, inside its row lock: at the warning moment a yellow light and an
urge (催办) to whoever must act; at the deadline a red light and a yellow card; a grace period later,
an escalation to the parent center (the clocks restart at the new level), or at the top a red card
to the departments, which then owe a written reply. Each step is a timeline row and a ClockMark
whose unique constraint (event, cycle, kind) makes it happen once, whatever runs twice. Inbox
messages are written after the commit and never hold up or undo an escalation.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Notification, Role, User

from . import services
from .choices import Action, Light, Phase, State, Supervision
from .domain import clocks, states
from .models import ClockMark, Event, EventAction, EventAssignment

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
CENTER_ROLES = (Role.CENTER_STAFF, Role.DUTY_OFFICER, Role.DUTY_LEADER)
_CLAIM_SQL = """
    SELECT id FROM events_event
    WHERE next_due_at IS NOT NULL AND next_due_at <= %s
    ORDER BY next_due_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
"""


@dataclass
class SweepResult:
    events: int = 0
    warnings: int = 0
    overdue: int = 0
    escalations: int = 0
    red_cards: int = 0
    batches: int = 0


@dataclass
class _Batch:
    rows: list[EventAction] = field(default_factory=list)
    marks: list[ClockMark] = field(default_factory=list)
    # (kind, event, center ids to tell, department ids to tell)
    messages: list[tuple[str, Event, set[int], set[int]]] = field(default_factory=list)


def sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> SweepResult:
    """Acts on every event whose next moment is at or before `now`. Safe to run concurrently and
    again: a locked event is skipped by the others, a repeated step is refused by the database."""
    now = now or timezone.now()
    result = SweepResult()
    while max_batches is None or result.batches < max_batches:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_CLAIM_SQL, [now, batch_size])
                ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            result.batches += 1
            _process(ids, now, result)
        if len(ids) < batch_size:
            break
    return result


def _process(ids: list[int], now: datetime, result: SweepResult) -> None:
    """One batch, inside the transaction that holds the claimed rows' locks."""
    events = list(
        Event.objects.filter(pk__in=ids)
        .select_related("center")
        .defer("center__boundary", "location", "description", "address")  # not needed to decide
    )
    assignments: dict[int, list[EventAssignment]] = {}
    for assignment in EventAssignment.objects.filter(event_id__in=ids, active=True):
        assignments.setdefault(assignment.event_id, []).append(assignment)
    batch = _Batch()
    for event in events:
        result.events += 1
        _tick(event, now, assignments.get(event.pk, []), batch, result)
    if batch.marks:  # a repeat would break the unique constraint: nothing happens twice
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO events_clockmark (event_id, cycle, kind, created_at) "
                "SELECT unnest(%s::bigint[]), unnest(%s::integer[]), unnest(%s::smallint[]), %s",
                [[m.event.pk for m in batch.marks], [m.cycle for m in batch.marks], [m.kind for m in batch.marks], now],
            )
    _insert_rows(batch.rows)
    _write_clocks(events, now)
    if batch.messages:
        transaction.on_commit(lambda: _notify(batch.messages), robust=True)
    changed = [event.pk for event in events]
    transaction.on_commit(lambda: services.publish_many(changed, "clock"), robust=True)


def _insert_rows(rows: list[EventAction]) -> None:
    """The batch's timeline rows (system steps: no actor, no reason, no place) in one statement."""
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO events_eventaction (event_id, action, actor_role, level, from_state, to_state, reason, data, "
            "created_at) SELECT unnest(%s::bigint[]), unnest(%s::varchar[]), '', unnest(%s::varchar[]), "
            "unnest(%s::varchar[]), unnest(%s::varchar[]), '', unnest(%s::jsonb[]), unnest(%s::timestamptz[])",
            [
                [r.event.pk for r in rows],
                [str(r.action) for r in rows],
                [r.level for r in rows],
                [r.from_state for r in rows],
                [r.to_state for r in rows],
                [json.dumps(r.data, cls=DjangoJSONEncoder) for r in rows],
                [r.created_at for r in rows],
            ],
        )


# (column, SQL type) of what a tick may change. One UPDATE … FROM (VALUES …) writes a batch: Django's
# bulk_update builds a CASE per column with a branch per row, quadratic in the batch size.
_COLUMNS = [
    ("light", "varchar"),
    ("supervision", "varchar"),
    ("clock_marks", "smallint"),
    ("clock_cycle", "integer"),
    ("next_due_at", "timestamptz"),
    ("warn_at", "timestamptz"),
    ("due_at", "timestamptz"),
    ("escalate_at", "timestamptz"),
    ("phase_started_at", "timestamptz"),
    ("center_id", "bigint"),
    ("level", "varchar"),
    ("escalations", "smallint"),
    ("deadline", "timestamptz"),
]


def _write_clocks(events: list[Event], now: datetime) -> None:
    """Writes what the ticks changed, for the whole batch, in one statement."""
    if not events:
        return
    row = "(" + ", ".join(["%s::bigint"] + [f"%s::{kind}" for _, kind in _COLUMNS]) + ")"
    values = ", ".join([row] * len(events))
    names = ", ".join(["id"] + [name for name, _ in _COLUMNS])
    assignments = ", ".join(f"{name} = v.{name}" for name, _ in _COLUMNS)
    params: list = [now]
    for event in events:
        params.append(event.pk)
        params.extend(getattr(event, name) for name, _ in _COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE events_event e SET {assignments}, updated_at = %s FROM (VALUES {values}) AS v({names}) "
            "WHERE e.id = v.id",
            params,
        )


def _who_acts(event: Event, assignments: list[EventAssignment]) -> tuple[set[int], set[int]]:
    """The centers and departments whose move it is in the event's phase."""
    if event.phase in (Phase.SIGN, Phase.HANDLE) and assignments:
        return set(), {a.department_id for a in assignments}
    return {event.center_id}, set()


def _tick(event: Event, now: datetime, assignments: list[EventAssignment], batch: _Batch, result: SweepResult) -> None:
    """Makes the marks whose moment has come, in order, and schedules the next one."""
    moments = services._moments(event)
    if moments is None or event.state == State.SUSPENDED or not states.is_open(event.state):
        event.next_due_at = None
        return
    centers, departments = _who_acts(event, assignments)
    for bit in clocks.due_marks(moments, event.clock_marks, now):
        batch.marks.append(ClockMark(event=event, cycle=event.clock_cycle, kind=bit, created_at=now))
        event.clock_marks |= bit
        if bit == clocks.WARN:
            event.light = Light.YELLOW
            services._raise_supervision(event, Supervision.URGE)
            _row(batch, event, Action.WARN, now, {"phase": event.phase, "due_at": event.due_at.isoformat()})
            batch.messages.append(("warning", event, centers, departments))
            result.warnings += 1
        elif bit == clocks.OVERDUE:
            event.light = Light.RED
            services._raise_supervision(event, Supervision.YELLOW_CARD)
            _row(batch, event, Action.SUPERVISE, now, {"card": "yellow_card", "phase": event.phase})
            batch.messages.append(("overdue", event, centers | {event.center_id}, departments))
            result.overdue += 1
        elif bit == clocks.ESCALATE:
            can_climb = event.center.parent_id and (State(event.state), Action.ESCALATE) in states.TRANSITIONS
            if can_climb:
                data: dict = {"auto": True}
                from_state = event.state
                services.escalate_to_parent(event, now=now, data=data)
                batch.rows.append(
                    services.timeline_row(event, Action.ESCALATE, None, from_state=from_state, now=now, data=data)
                )
                batch.messages.append(("escalated", event, {event.center_id}, set()))
                result.escalations += 1
                return  # a new cycle at the new level, scheduled by escalate_to_parent
            # At the top (or past the point where escalating helps): a red card; the departments reply.
            services._raise_supervision(event, Supervision.RED_CARD)
            _row(batch, event, Action.SUPERVISE, now, {"card": "red_card", "phase": event.phase})
            batch.messages.append(("red_card", event, {event.center_id}, departments))
            result.red_cards += 1
    event.next_due_at = clocks.next_due(moments, event.clock_marks)


def _row(batch: _Batch, event: Event, action: Action, now: datetime, data: dict) -> None:
    """A system step of the timeline (no actor). The state does not change."""
    data = {**data, "auto": True}
    batch.rows.append(services.timeline_row(event, action, None, from_state=event.state, now=now, data=data))


MESSAGES = {
    "warning": _("Event %(number)s (%(category)s) is due soon: please act on it."),
    "overdue": _("Event %(number)s (%(category)s) is overdue: yellow card."),
    "escalated": _("Event %(number)s (%(category)s) was not handled in time and went up to %(center)s."),
    "red_card": _("Event %(number)s (%(category)s) is long overdue: red card, a written reply is required."),
}


def _notify(messages) -> None:
    """Inbox rows (and the SMS adapter) for the batch's steps. A failure is logged, never raised:
    the steps are committed already and stand."""
    try:
        centers = {c for _, _, cs, _ in messages for c in cs}
        departments = {d for _, _, _, ds in messages for d in ds}
        by_center: dict[int, list[int]] = {}
        by_department: dict[int, list[int]] = {}
        people = Q(center_id__in=centers, role__in=CENTER_ROLES) | Q(
            department_id__in=departments, role=Role.DEPARTMENT_STAFF
        )
        for user_id, center_id, department_id, role in User.objects.filter(people, is_active=True).values_list(
            "id", "center_id", "department_id", "role"
        ):
            if role == Role.DEPARTMENT_STAFF and department_id in departments:
                by_department.setdefault(department_id, []).append(user_id)
            elif role in CENTER_ROLES and center_id in centers:
                by_center.setdefault(center_id, []).append(user_id)
        rows = []
        for kind, event, cs, ds in messages:
            with translation.override(settings.LANGUAGE_CODE):  # stored text, in the platform's language
                text = str(MESSAGES[kind]) % {
                    "number": event.number,
                    "category": services.reference().categories[event.category_id].name,
                    "center": event.center.name,
                }
            users = {u for c in cs for u in by_center.get(c, [])} | {u for d in ds for u in by_department.get(d, [])}
            rows += [Notification(user_id=u, kind=kind, message=text, event_id=event.pk) for u in users]
        if rows:
            now = timezone.now()
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO accounts_notification (user_id, kind, message, event_id, created_at) "
                    "SELECT unnest(%s::bigint[]), unnest(%s::varchar[]), unnest(%s::varchar[]), "
                    "unnest(%s::bigint[]), %s",
                    [
                        [n.user_id for n in rows],
                        [n.kind for n in rows],
                        [n.message for n in rows],
                        [n.event_id for n in rows],
                        now,
                    ],
                )
        from accounts.notify import deliver

        deliver(rows)
    except Exception:  # a lost message must not surface as a failed sweep
        log.exception("escalation notifications failed; the steps themselves are committed")
