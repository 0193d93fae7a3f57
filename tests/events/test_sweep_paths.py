"""The sweep's SQL restates Python rules for speed: which step is due (clocks.moments.due_marks and the
engine's `_tick`), the next moment (events.clocks.next_due), who is told (services.who_hears) and the
message text (engine.MESSAGES). Here many random events, from a seeded generator, go through the sweep
(its batch statement, and for the climbing ones the engine's Python), and every row it wrote is
compared with what the Python rules say: timeline rows, event rows, schedule rows, inbox rows.

The random events vary what the statement reads: state (open, suspended, final), phase (or none),
level, holding center (community, town, district; with and without staff), the marks already made,
moments past and future (warning or escalation moment missing), light and supervision, active and
inactive departments (with and without staff, some staff deactivated), urgency, category, report
time (the message quotes the local date). Calendars need no case: the moments are stored on the row.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from accounts.models import Role, User
from events import clocks as event_clocks
from events import engine, services
from events.choices import AssignmentRole, Phase, State
from events.domain import clocks, states
from events.models import Event, EventAction, EventAssignment, EventCategory, EventSchedule, event_number
from grids.choices import Level
from grids.models import Center, Department
from inbox.models import Notification

SEEDS = (11, 23, 2026)
EVENTS = 90


def _randomize(rng: random.Random, events: list[Event], now) -> None:
    """Gives each event random values of everything the sweep reads (in the database, as the
    workflow could have left them), and a schedule row due now."""
    centers = list(Center.objects.values_list("pk", flat=True))
    departments = list(Department.objects.values_list("pk", flat=True))
    categories = list(EventCategory.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    states_ = [*states.OPEN_STATES, *states.OPEN_STATES, State.SUSPENDED, State.CLOSED]
    minutes = lambda low, high: timedelta(minutes=rng.randint(low, high))  # noqa: E731
    for event in events:
        event.state = rng.choice(states_)
        event.phase = (
            rng.choice([*(p.value for p in Phase), ""])
            if rng.random() < 0.2
            else (states.PHASE_OF_STATE.get(State(event.state)) or "")
        )
        event.level = rng.choice(Level.values)
        event.center_id = rng.choice(centers)
        event.category_id = rng.choice(categories)
        event.urgent = rng.random() < 0.3
        event.clock_marks = rng.choice([0, 0, 0, clocks.WARN, clocks.WARN | clocks.OVERDUE])
        event.clock_cycle = rng.randint(1, 5)
        event.light = rng.choice(["green", "yellow", "red"])
        event.supervision = rng.choice(["none", "urge", "yellow_card", "red_card"])
        event.created_at = now - minutes(0, 60 * 24 * 3)
        warn = now + minutes(-180, 120)
        event.warn_at = None if rng.random() < 0.1 else warn
        event.due_at = None if rng.random() < 0.05 else warn + minutes(0, 180)
        # Mostly not yet escalating (the statement's own steps), some climbing (the engine's Python).
        escalate = (event.due_at or warn) + (minutes(0, 60) if rng.random() < 0.15 else minutes(600, 900))
        event.escalate_at = None if rng.random() < 0.1 else escalate
        event.save()
        for department in rng.sample(departments, rng.choice([0, 0, 1, 2, 3])):
            EventAssignment.objects.create(
                event=event,
                department_id=department,
                role=AssignmentRole.ASSIST,
                dispatched_at=now,
                active=rng.random() < 0.8,
            )
    EventSchedule.objects.filter(event__in=events).update(next_due_at=now - timedelta(minutes=1))
    EventSchedule.objects.bulk_create(
        [EventSchedule(event=e, next_due_at=now - timedelta(minutes=1)) for e in events], ignore_conflicts=True
    )
    # Some people who would hear are away: deactivated users are never told.
    people = list(User.objects.filter(role__in=[*engine.CENTER_ROLES, Role.DEPARTMENT_STAFF]).order_by("pk"))
    User.objects.filter(pk__in=[u.pk for u in rng.sample(people, len(people) // 8)]).update(is_active=False)


def _departments(event_ids) -> dict[int, list[int]]:
    active: dict[int, list[int]] = {}
    for event_id, department in EventAssignment.objects.filter(event_id__in=event_ids, active=True).values_list(
        "event_id", "department_id"
    ):
        active.setdefault(event_id, []).append(department)
    return active


def _canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True)


def _text(kind: str, event, center_name: str, category_name: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(engine.MESSAGES[kind]) % {
            "number": event_number(event.created_at, event.pk),
            "category": category_name,
            "center": center_name,
        }


@pytest.mark.django_db
@pytest.mark.parametrize("seed", SEEDS)
def test_the_sweeps_sql_writes_the_rows_the_python_rules_say(report, seed, settings):
    settings.INTAKE_RATE_LIMITS = {**settings.INTAKE_RATE_LIMITS, "grid_worker": None}  # many reports, one reporter
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=rng.randint(0, 999999))
    events = [Event.objects.get(pk=report().pk) for _ in range(EVENTS)]
    _randomize(rng, events, now)
    ids = [e.pk for e in events]
    departments = _departments(ids)
    first_row = EventAction.objects.order_by("-pk").values_list("pk", flat=True).first()
    first_message = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    # The Python path, on the rows as the claim reads them: the steps of `_tick`, the next moment.
    with connection.cursor() as cursor:
        cursor.execute(engine._CLAIM_SQL, {"now": now, "limit": 10 * EVENTS})
        claimed = {row[0]: engine._Due(row) for row in cursor.fetchall()}
    assert set(claimed) == set(ids)
    batch, counted = engine._Batch(), engine.SweepResult()
    expected_rows, expected_events, expected_next, told = set(), {}, {}, set()
    climbing = set()
    for pk, due in claimed.items():
        moments = event_clocks.running_moments(due)
        running = moments is not None and due.state in states.OPEN_STATES
        if running and clocks.ESCALATE in clocks.due_marks(moments, due.clock_marks, now):
            climbing.add(pk)  # the engine's Python path writes these (compared for their messages below)
            continue
        before = len(batch.rows), len(batch.messages)
        if running:
            engine._tick(due, now, batch, counted)
        for row in batch.rows[before[0] :]:
            expected_rows.add((*row[:5], _canonical(json.loads(row[5])), *row[6:]))
        told.update(batch.messages[before[1] :])
        expected_events[pk] = (due.light, due.supervision, due.clock_marks)
        expected_next[pk] = event_clocks.next_due(due)
    assert counted.warnings and counted.overdue and climbing, "the seed must exercise every path"

    # The SQL path: the sweep itself.
    result = engine.sweep(now=now)
    assert result.events == len(ids)

    # Timeline rows.
    written = EventAction.objects.filter(pk__gt=first_row or 0, event_id__in=set(ids) - climbing)
    got_rows = {
        (r.event_id, r.action, r.level, r.from_state, r.to_state, _canonical(r.data), r.cycle, r.mark)
        for r in written.order_by("pk")
    }
    assert got_rows == expected_rows
    # Event rows and schedule rows (None: the row is gone).
    got_events = {
        pk: (light, supervision, marks)
        for pk, light, supervision, marks in Event.objects.filter(pk__in=expected_events).values_list(
            "pk", "light", "supervision", "clock_marks"
        )
    }
    assert got_events == expected_events
    got_next = dict(EventSchedule.objects.filter(event_id__in=expected_next).values_list("event_id", "next_due_at"))
    assert {pk: got_next.get(pk) for pk in expected_next} == expected_next

    # Inbox rows: for the statement's events, exactly the (event, kind) pairs that `_tick` made; for
    # every event, climbing ones included, each message to exactly the people services.who_hears
    # names, with MESSAGES' text, on the event as it stands after the sweep (its center and phase).
    messages = Notification.objects.filter(pk__gt=first_message, subject_type="events.event", subject_id__in=ids)
    got: dict[tuple[int, str], dict[int, str]] = {}
    for event_id, kind, user_id, text in messages.values_list("subject_id", "kind", "user_id", "message"):
        assert user_id not in got.setdefault((event_id, kind), {}), "one message per person and step"
        got[(event_id, kind)][user_id] = text
    after = Event.objects.select_related("center", "category").in_bulk(ids)
    kinds_by_event = {(pk, kind) for pk, kind in got if pk not in climbing}
    assert {pair for pair in told if who(after[pair[0]], pair[1], departments)} == kinds_by_event
    for (pk, kind), recipients in got.items():
        event = after[pk]
        assert set(recipients) == set(who(event, kind, departments)), (pk, kind)
        assert set(recipients.values()) == {_text(kind, event, event.center.name, event.category.name)}
    assert {kind for _, kind in got} >= {"warning", "overdue"}
    assert {kind for pk, kind in got if pk in climbing} & {"escalated", "red_card"}


def who(event: Event, kind: str, departments: dict[int, list[int]]) -> list[int]:
    return services.who_hears(
        kind, center=event.center_id, phase=event.phase, departments=departments.get(event.pk, [])
    )
