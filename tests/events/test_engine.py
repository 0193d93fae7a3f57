"""The escalation engine against the real PostgreSQL: the sweep's steps, exactly once, in parallel,
after a crash, and driven by a real Celery worker and beat."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from events import engine
from events.models import Event, EventAction, EventSchedule
from events.tasks import sweep_task
from inbox.models import Notification

ROOT = Path(__file__).resolve().parents[2]


def about(event) -> dict:
    """The inbox rows about `event`."""
    return {"subject_type": "events.event", "subject_id": event.pk}


def actions(event):
    return list(EventAction.objects.filter(event=event).order_by("id").values_list("action", flat=True))


def steps(**filters):
    """The engine's steps (timeline rows with a mark)."""
    return EventAction.objects.filter(mark__isnull=False, **filters)


def scheduled(event):
    """The engine's next moment for `event`, as stored: None when it has no schedule row."""
    return EventSchedule.objects.filter(event_id=event.pk).values_list("next_due_at", flat=True).first()


@pytest.mark.django_db
def test_warning_card_and_escalation_level_by_level(report, django_capture_on_commit_callbacks):
    event = Event.objects.get(pk=report().pk)
    assert scheduled(event) == event.warn_at
    assert engine.sweep(now=event.warn_at - timedelta(seconds=1)).events == 0
    with django_capture_on_commit_callbacks(execute=True):
        result = engine.sweep(now=event.warn_at)
    event.refresh_from_db()
    assert (result.warnings, event.light, event.supervision) == (1, "yellow", "urge")
    assert scheduled(event) == event.due_at
    assert Notification.objects.filter(**about(event), kind="warning", user__username="hangtianlu").exists()
    assert engine.sweep(now=event.warn_at).events == 0  # nothing twice

    engine.sweep(now=event.due_at)
    event.refresh_from_db()
    assert (event.light, event.supervision) == ("red", "yellow_card")

    result = engine.sweep(now=event.escalate_at)
    event.refresh_from_db()
    assert result.escalations == 1
    assert (event.center.name, event.level, event.light, event.clock_marks) == ("柳城街道", "town", "green", 0)
    assert event.phase_started_at == event.escalate_at or event.phase_started_at > event.created_at
    # Far later, the town's clock runs out too: the district takes it; at the top, a red card.
    later = event.escalate_at + timedelta(days=30)
    engine.sweep(now=later)
    event.refresh_from_db()
    assert event.center.name == "温江区" and event.escalations == 2
    engine.sweep(now=later + timedelta(days=30))
    event.refresh_from_db()
    assert event.supervision == "red_card" and scheduled(event) is None
    assert not EventSchedule.objects.filter(event=event).exists()  # nothing left to do: no row
    assert actions(event) == [
        "report",
        "warn",
        "supervise",
        "escalate",
        "warn",
        "supervise",
        "escalate",
        "warn",
        "supervise",
        "supervise",
    ]
    assert list(EventAction.objects.filter(event=event, action="escalate").values_list("actor", flat=True)) == [
        None,
        None,
    ]  # the system acted
    assert steps(event=event).count() == 9


@pytest.mark.django_db
def test_a_failed_notification_never_undoes_an_escalation(report, monkeypatch, django_capture_on_commit_callbacks):
    from inbox import notify

    event = Event.objects.get(pk=report().pk)

    def broken(*args, **kwargs):
        raise RuntimeError("inbox down")

    monkeypatch.setattr(notify, "deliver", broken)
    with django_capture_on_commit_callbacks(execute=True):
        result = engine.sweep(now=event.escalate_at + timedelta(seconds=1))
    event.refresh_from_db()
    assert result.escalations == 1 and event.level == "town"


@pytest.mark.django_db
def test_a_step_cannot_be_recorded_twice(report):
    event = report()
    step = dict(event=event, action="warn", level="community", to_state="reported", created_at=timezone.now())
    EventAction.objects.create(**step, cycle=1, mark=1)
    EventAction.objects.create(**step, cycle=2, mark=1)  # the next cycle's
    EventAction.objects.create(**step)  # a person's steps carry no mark: as many as they take
    EventAction.objects.create(**step)
    with pytest.raises(IntegrityError), transaction.atomic():
        EventAction.objects.create(**step, cycle=1, mark=1)


@pytest.mark.django_db
def test_the_clock_stops_when_suspended_and_for_closed_events(drive, act):
    suspended = Event.objects.get(pk=drive("suspended").pk)
    closed = Event.objects.get(pk=drive("closed").pk)
    assert not EventSchedule.objects.filter(event__in=[suspended, closed]).exists()  # no schedule row at all
    assert engine.sweep(now=timezone.now() + timedelta(days=365)).warnings == 0
    resumed = act(suspended, "hangtianlu", "resume")
    assert resumed.state == "accepted" and scheduled(resumed) == resumed.warn_at  # back on the engine's list


@pytest.mark.django_db
def test_an_escalation_by_hand_reschedules_at_the_new_level(drive, act):
    event = drive("accepted")
    before = scheduled(event)
    moved = act(event, "hangtianlu", "escalate", reason="社区无法协调")
    assert moved.level == "town" and scheduled(moved) == moved.warn_at != before
    assert EventSchedule.objects.filter(event=event).count() == 1


@pytest.mark.django_db
def test_every_open_event_has_the_schedule_its_clocks_say(drive, report, act):
    from events import clocks as event_clocks

    events = [report(), drive("dispatched"), drive("in_progress"), drive("handled"), drive("closed")]
    events.append(act(report(), "hangtianlu", "reject", reason="不属于受理范围"))
    engine.sweep(now=timezone.now() + timedelta(days=2))  # warns, cards and escalates some of them
    for event in Event.objects.filter(pk__in=[e.pk for e in events]):
        assert scheduled(event) == event_clocks.next_due(event), event.state
    # Not the closed, the rejected, nor the handled one: its verification clock ran out, a red card.
    assert EventSchedule.objects.filter(event__in=events).count() == 3


@pytest.mark.django_db
def test_a_crash_in_the_middle_of_a_batch_leaves_nothing_half_done(report, monkeypatch):
    events = [report() for _ in range(5)]
    later = timezone.now() + timedelta(days=1)
    calls = {"n": 0}
    real = engine._tick

    def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_tick", crashing)
    with pytest.raises(RuntimeError):
        engine.sweep(now=later)
    assert steps(event__in=events).count() == 0  # the batch rolled back whole
    monkeypatch.setattr(engine, "_tick", real)
    engine.sweep(now=later)
    assert steps(event__in=events, mark=1).count() == 5  # then each once


@pytest.mark.django_db
def test_a_redelivered_task_changes_nothing_more(report):
    event = report()
    Event.objects.filter(pk=event.pk).update(warn_at=timezone.now() - timedelta(minutes=1))
    EventSchedule.objects.filter(event=event).update(next_due_at=timezone.now() - timedelta(minutes=1))
    sweep_task.apply()
    sweep_task.apply()
    assert steps(event=event).count() == 1


def _committed_world():
    from grids.models import Center

    if not Center.objects.exists():  # an earlier test of this kind emptied the database
        from wenjiang_ops.demo import seed_demo

        seed_demo(lambda line: None, events=False)
    Center.objects.update(calendar=None)


def _report_many(n, *, when=None):
    import uuid

    from accounts.models import User
    from events.clocks import reference
    from events.models import EventCategory
    from events.services import event_report
    from grids.models import Grid

    reference(fresh=True)
    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    reporter = User.objects.get(username="gridworker")
    category = EventCategory.objects.get(code="sa-garbage")
    return [
        event_report(
            reporter=reporter,
            category_id=category.pk,
            description="并发测试",
            lat=point.y,
            lng=point.x,
            client_id=uuid.uuid4(),
            now=when,
        )[0]
        for _ in range(n)
    ]


@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_act_on_each_event_once():
    _committed_world()
    events = _report_many(40)
    later = timezone.now() + timedelta(days=1)
    results, errors = [], []

    def run():
        try:
            results.append(engine.sweep(now=later, batch_size=7))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.escalations for r in results) == 40
    ids = [e.pk for e in events]
    assert steps(event_id__in=ids).count() == 40 * 3
    assert EventAction.objects.filter(event_id__in=ids, action="warn").count() == 40
    assert EventAction.objects.filter(event_id__in=ids, action="escalate").count() == 40
    assert set(Event.objects.filter(pk__in=ids).values_list("level", flat=True)) == {"town"}


@pytest.mark.django_db(transaction=True)
def test_an_event_held_by_a_workflow_action_is_skipped_and_its_schedule_left_alone():
    """The claim locks an event's row before its schedule row, in the order the services take them: an
    event locked by an action in progress is skipped, and its schedule row stays free for that action."""
    import psycopg2

    _committed_world()
    held, free = _report_many(2)
    db = connection.settings_dict
    action = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
    try:
        cursor = action.cursor()
        cursor.execute("SELECT 1 FROM events_event WHERE id = %s FOR UPDATE", [held.pk])  # an action's lock
        with transaction.atomic(), connection.cursor() as sweeping:
            sweeping.execute(engine._CLAIM_SQL, {"now": timezone.now() + timedelta(days=1), "limit": 100})
            claimed = {row[0] for row in sweeping.fetchall()}
            assert held.pk not in claimed and free.pk in claimed
            # While the sweep's batch is open, the action writes the schedule row without waiting.
            cursor.execute("SET lock_timeout = '2s'")
            cursor.execute("UPDATE events_eventschedule SET next_due_at = next_due_at WHERE event_id = %s", [held.pk])
            assert cursor.rowcount == 1
    finally:
        action.rollback()
        action.close()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_escalate_community_town_district():
    """Celery worker and beat on Redis; time goes forward by moving the event's moments back."""
    _committed_world()
    [event] = _report_many(1, when=timezone.now() - timedelta(hours=3))  # its community clock has run out
    env = {
        **os.environ,
        "DATABASE_URL": f"postgis://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/14",
        "SWEEP_SECONDS": "1",
    }
    schedule = Path(os.environ.get("TMPDIR", "/tmp")) / f"beat-{os.getpid()}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "wenjiang_ops",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            "--purge",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "wenjiang_ops", "beat", "--loglevel=WARNING", f"--schedule={schedule}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def wait_for(level, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = Event.objects.get(pk=event.pk)
            if current.level == level:
                return current
            time.sleep(0.5)
        raise AssertionError(f"the event did not reach the {level} in {timeout} s (it is at {current.level})")

    def time_passes(days=2):
        current = Event.objects.get(pk=event.pk)
        delta = timedelta(days=days)
        Event.objects.filter(pk=event.pk).update(
            warn_at=current.warn_at - delta,
            due_at=current.due_at - delta,
            escalate_at=current.escalate_at - delta,
        )
        EventSchedule.objects.filter(event=event).update(next_due_at=scheduled(event) - delta)

    try:
        assert wait_for("town").center.name == "柳城街道"
        time_passes()
        assert wait_for("district").center.name == "温江区"
        time_passes()
        deadline = time.monotonic() + 60
        while Event.objects.get(pk=event.pk).supervision != "red_card":
            assert time.monotonic() < deadline, "no red card at the district"
            time.sleep(0.5)
    finally:
        for process in (beat, worker):
            process.terminate()
        for process in (beat, worker):
            process.wait(timeout=30)
        schedule.unlink(missing_ok=True)
    assert EventAction.objects.filter(event=event, action="escalate").count() == 2


@pytest.mark.django_db
def test_one_sweep_far_past_the_grace_warns_cards_and_escalates_in_order(report):
    event = Event.objects.get(pk=report().pk)
    cycle = event.clock_cycle
    result = engine.sweep(now=event.escalate_at + timedelta(minutes=1))
    assert (result.warnings, result.overdue, result.escalations) == (1, 1, 1)
    moved = Event.objects.get(pk=event.pk)
    assert (moved.level, moved.light, moved.supervision) == ("town", "green", "yellow_card")  # the card stays
    assert (moved.clock_cycle, moved.clock_marks, scheduled(moved)) == (cycle + 1, 0, moved.warn_at)
    assert moved.phase == "accept" and moved.escalations == 1
    assert sorted(steps(event=event).values_list("cycle", "mark")) == [
        (cycle, 1),
        (cycle, 2),
        (cycle, 4),
    ]
    rows = list(EventAction.objects.filter(event=event).exclude(action="report").order_by("id"))
    assert [(r.action, r.level, r.data.get("card")) for r in rows] == [
        ("warn", "community", None),
        ("supervise", "community", "yellow_card"),
        ("escalate", "town", None),
    ]
    assert rows[0].data == {"phase": "accept", "due_at": event.due_at.isoformat(), "auto": True}
    assert rows[2].data["to_center"] == moved.center_id and rows[2].data["auto"] is True


@pytest.mark.django_db
def test_departments_at_work_are_the_ones_urged_and_carded(drive, django_capture_on_commit_callbacks):
    from accounts.models import Role, User

    event = Event.objects.get(pk=drive("dispatched").pk)  # police leads, urban management assists
    staff = set(
        User.objects.filter(
            role=Role.DEPARTMENT_STAFF, department__code__in=["police", "urban-management"], is_active=True
        ).values_list("pk", flat=True)  # not the inactive system accounts of alarm sources
    )
    center = set(User.objects.filter(center=event.center, role__in=engine.CENTER_ROLES).values_list("pk", flat=True))
    assert staff and center
    with django_capture_on_commit_callbacks(execute=True):
        engine.sweep(now=event.warn_at)
    warned = Notification.objects.filter(**about(event), kind="warning")
    assert set(warned.values_list("user_id", flat=True)) == staff  # the center is not urged: it is not its move
    assert event.number in warned.first().message and "垃圾" in warned.first().message  # the number as quoted
    with django_capture_on_commit_callbacks(execute=True):
        engine.sweep(now=event.due_at)
    carded = Notification.objects.filter(**about(event), kind="overdue")
    assert set(carded.values_list("user_id", flat=True)) == staff | center  # the holding center hears of it too


@pytest.mark.django_db
def test_messages_quote_the_event_number_by_the_local_date(report, django_capture_on_commit_callbacks):
    from datetime import UTC, datetime

    evening = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)  # already 2 March in Wenjiang
    event = Event.objects.get(pk=report(now=evening).pk)
    assert event.number.startswith("20260302-")
    with django_capture_on_commit_callbacks(execute=True):
        engine.sweep(now=event.warn_at)
    [message] = set(Notification.objects.filter(**about(event)).values_list("message", flat=True))
    assert f"事件 {event.number}（" in message


@pytest.mark.django_db
def test_the_inbox_rows_announced_are_the_stored_ones(report, announced, django_capture_on_commit_callbacks):
    event = report()
    with django_capture_on_commit_callbacks(execute=True):
        engine.sweep(now=timezone.now() + timedelta(days=1))
    stored = {n.pk: n for n in Notification.objects.filter(**about(event))}
    assert announced and {n.pk for n in announced} == set(stored)  # ids, not unsaved rows
    for n in announced:
        assert (n.user_id, n.kind, n.message, n.subject_type, n.subject_id) == (
            stored[n.pk].user_id,
            stored[n.pk].kind,
            stored[n.pk].message,
            stored[n.pk].subject_type,
            stored[n.pk].subject_id,
        )


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_whatever_its_size(report, django_capture_on_commit_callbacks):
    from django.test.utils import CaptureQueriesContext

    def queries(n, moment="warn_at", counted="warnings"):
        events = [report() for _ in range(n)]
        later = max(getattr(e, moment) for e in events) + timedelta(seconds=1)
        with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
            assert getattr(engine.sweep(now=later), counted) >= n  # the earlier calls' events too
        # Not the transaction's own statements: savepoints, and settings (foreign keys checked at once,
        # the inbox's lock timeout).
        own = ("SAVEPOINT", "SET CONSTRAINTS", "set_config(")
        return [q["sql"] for q in captured if not any(word in q["sql"] for word in own)]

    # Warnings and deadlines: the batch's one statement, with its inbox rows (and for a card the
    # phone numbers of the people to text).
    assert len(queries(1)) == len(queries(6)) == 1
    assert len(queries(1, "due_at", "overdue")) == len(queries(6, "due_at", "overdue")) == 2
    # Escalations: the same, and the events loaded whole, the marks, the timeline rows, the clocks.
    climbing = queries(6, "escalate_at", "escalations")
    assert len(queries(1, "escalate_at", "escalations")) == len(climbing) <= 8, climbing


@pytest.mark.django_db
def test_the_claimed_columns_land_on_the_right_attributes(report):
    event = Event.objects.get(pk=report().pk)
    with connection.cursor() as cursor:
        cursor.execute(engine._CLAIM_SQL, {"now": event.warn_at, "limit": 10})
        [row] = cursor.fetchall()
    due = engine._Due(row)
    for column in engine._CLAIMED:
        attribute = "pk" if column == "id" else column
        assert getattr(due, attribute) == getattr(event, attribute), column


@pytest.mark.django_db
def test_array_literals_carry_any_text_unchanged():
    moment = timezone.now()
    texts = ['say "hi"', "back\\slash", "a,b", "{braces}", "NULL", "", " spaced ", "事件 %(number)s", "'quote'", None]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::varchar[], %s::bigint[], %s::timestamptz[]",
            [engine._array(texts), engine._array([1, None, 2**40]), engine._array([moment, None])],
        )
        assert cursor.fetchone() == (texts, [1, None, 2**40], [moment, None])


# --- the batch statement: warnings and deadlines made in the database ---------------------------


def _python_steps(event, now):
    """What `_tick` decides for `event` at `now`, on a copy: the reference the statement must match."""
    due = engine._Due(tuple(getattr(event, "pk" if c == "id" else c) for c in engine._CLAIMED))
    batch, result = engine._Batch(), engine.SweepResult()
    engine._tick(due, now, batch, result)
    return due, batch


@pytest.mark.django_db
@pytest.mark.parametrize("moment", ["warn_at", "due_at"])
@pytest.mark.parametrize("supervision", ["none", "urge", "yellow_card", "red_card"])
def test_the_statement_decides_as_the_python_steps_do(report, moment, supervision):
    event = Event.objects.get(pk=report().pk)
    Event.objects.filter(pk=event.pk).update(supervision=supervision)
    event.refresh_from_db()
    now = getattr(event, moment)
    expected, batch = _python_steps(event, now)
    engine.sweep(now=now)
    after = Event.objects.get(pk=event.pk)
    assert (after.light, after.supervision, after.clock_marks) == (
        expected.light,
        expected.supervision,
        expected.clock_marks,
    )
    rows = list(EventAction.objects.filter(event=event).exclude(action="report").order_by("id"))
    import json

    assert [(r.action, r.level, r.from_state, r.to_state, r.data, r.cycle, r.mark) for r in rows] == [
        (action, level, from_state, to_state, json.loads(data), cycle, mark)
        for _, action, level, from_state, to_state, data, cycle, mark in batch.rows
    ]
    assert scheduled(after) == (after.due_at if moment == "warn_at" else after.escalate_at)


@pytest.mark.django_db
def test_the_timeline_quotes_a_whole_second_deadline_as_python_does(report):
    event = Event.objects.get(pk=report().pk)
    whole = event.due_at.replace(microsecond=0)
    Event.objects.filter(pk=event.pk).update(due_at=whole)
    engine.sweep(now=event.warn_at)
    row = EventAction.objects.get(event=event, action="warn")
    assert row.data["due_at"] == whole.isoformat() and "." not in row.data["due_at"]


@pytest.mark.django_db
def test_a_stale_schedule_row_of_a_closed_event_is_removed_and_nothing_else_happens(drive):
    closed = Event.objects.get(pk=drive("closed").pk)
    EventSchedule.objects.create(event=closed, next_due_at=timezone.now() - timedelta(minutes=1))
    result = engine.sweep(now=timezone.now())
    assert result.events == 1 and result.warnings == result.overdue == 0
    assert not EventSchedule.objects.filter(event=closed).exists()
    assert Event.objects.get(pk=closed.pk).updated_at == closed.updated_at
    assert not steps(event=closed).exists()


@pytest.mark.django_db
def test_a_failed_inbox_write_rolls_back_the_messages_alone(report, monkeypatch, caplog):
    event = Event.objects.get(pk=report().pk)
    broken = engine._STEP_SQL.replace("ORDER BY sent.n, sent.user_id", "ORDER BY no_such_column")
    assert broken != engine._STEP_SQL
    monkeypatch.setattr(engine, "_STEP_SQL", broken)
    result = engine.sweep(now=event.due_at)
    assert (result.warnings, result.overdue) == (1, 1)
    assert steps(event=event).count() == 2 and Event.objects.get(pk=event.pk).light == "red"
    assert scheduled(event) == event.escalate_at
    assert not Notification.objects.filter(**about(event)).exists()
    assert "escalation notifications failed" in caplog.text


@pytest.mark.django_db
def test_a_failed_inbox_write_of_an_escalation_rolls_back_the_messages_alone(report, monkeypatch, caplog):
    event = Event.objects.get(pk=report().pk)
    monkeypatch.setattr(engine, "_INBOX_SQL", "SELECT no_such_column FROM inbox_notification")
    result = engine.sweep(now=event.escalate_at + timedelta(seconds=1))
    assert (result.warnings, result.overdue, result.escalations) == (1, 1, 1)
    assert steps(event=event).count() == 3 and Event.objects.get(pk=event.pk).level == "town"
    assert not Notification.objects.filter(**about(event)).exists()
    assert "escalation notifications failed" in caplog.text


@pytest.mark.django_db
def test_the_lock_timeout_is_the_messages_alone(report, monkeypatch):
    """The batch statement waits for a lock no longer than INBOX_LOCK_TIMEOUT (only its messages
    can wait); the escalations made after it run under the connection's own setting again."""
    event = Event.objects.get(pk=report().pk)
    seen, real = [], engine._climb

    def lock_timeout():
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            return cursor.fetchone()[0]

    def climb(*args, **kwargs):
        seen.append(lock_timeout())
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_climb", climb)
    before = lock_timeout()
    assert before != engine.INBOX_LOCK_TIMEOUT
    assert engine.sweep(now=event.escalate_at + timedelta(seconds=1)).escalations == 1
    assert seen == [before] and lock_timeout() == before


@pytest.mark.django_db
def test_a_crash_after_the_statement_rolls_back_the_whole_batch(report, monkeypatch):
    event = Event.objects.get(pk=report().pk)

    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(engine, "_process", killed)
    with pytest.raises(RuntimeError):
        engine.sweep(now=event.warn_at)
    assert not steps(event=event).exists()
    assert not EventAction.objects.filter(event=event, action="warn").exists()
    assert not Notification.objects.filter(**about(event)).exists()
    assert (Event.objects.get(pk=event.pk).light, scheduled(event)) == ("green", event.warn_at)


@pytest.mark.django_db
def test_every_foreign_key_of_the_busy_tables_leads_some_index():
    """Deleting a user, a center or an event must never scan the timeline or the inbox:
    every foreign key column leads an index (a partial one where the column is mostly empty)."""
    with connection.cursor() as cursor:
        for table in ("events_eventaction", "inbox_notification"):
            cursor.execute(
                "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
                "AND a.attnum = c.conkey[1] WHERE c.conrelid = %s::regclass AND c.contype = 'f'",
                [table],
            )
            columns = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = %s::regclass",
                [table],
            )
            leading = {row[0] for row in cursor.fetchall()}
            assert columns and columns <= leading, (table, columns - leading)


@pytest.mark.django_db(transaction=True)
def test_an_inbox_row_refused_by_a_foreign_key_loses_the_messages_not_the_steps(monkeypatch, caplog):
    """Foreign keys are checked at the end of each statement, not at the commit: a message to a user
    deleted meanwhile fails inside its savepoint, and the steps still commit."""
    _committed_world()
    [event] = _report_many(1)
    event = Event.objects.get(pk=event.pk)
    to_nobody = engine._STEP_SQL.replace("SELECT sent.user_id, sent.kind,", "SELECT -1, sent.kind,")
    assert to_nobody != engine._STEP_SQL
    monkeypatch.setattr(engine, "_STEP_SQL", to_nobody)
    result = engine.sweep(now=event.warn_at)
    assert result.warnings == 1
    assert steps(event=event).count() == 1
    assert EventAction.objects.filter(event=event, action="warn").count() == 1
    assert not Notification.objects.filter(**about(event)).exists()
    assert "escalation notifications failed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_messages_held_up_by_a_lock_are_given_up_and_the_steps_commit(monkeypatch, caplog):
    """ "A failed notification never blocks an escalation": the inbox rows wait for a user row locked
    elsewhere only so long, then go, and the batch commits its steps."""
    import psycopg2

    from accounts.models import User

    _committed_world()
    [event] = _report_many(1)
    event = Event.objects.get(pk=event.pk)
    monkeypatch.setattr(engine, "INBOX_LOCK_TIMEOUT", "300ms")
    db = connection.settings_dict
    other = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
    try:
        cursor = other.cursor()
        staff = User.objects.get(username="hangtianlu")
        cursor.execute("SELECT 1 FROM accounts_user WHERE id = %s FOR UPDATE", [staff.pk])  # a delete underway
        with connection.cursor() as own:
            own.execute("SELECT pg_backend_pid()")
            [pid] = own.fetchone()
        # Should the sweep wait for the lock, it is cancelled after 5 s: the test fails, it does not hang.
        guard = threading.Timer(5, lambda: cursor.execute("SELECT pg_cancel_backend(%s)", [pid]))
        guard.start()
        started = time.monotonic()
        result = engine.sweep(now=event.warn_at)
        waited = time.monotonic() - started
        guard.cancel()
    finally:
        other.rollback()
        other.close()
    assert result.warnings == 1 and waited < 3, waited
    assert EventAction.objects.filter(event=event, action="warn").count() == 1
    assert not Notification.objects.filter(**about(event)).exists()
    assert "escalation notifications failed" in caplog.text
    # The lock timeout was the messages' alone: the next batch's inbox rows go in as usual.
    [later] = _report_many(1)
    engine.sweep(now=Event.objects.get(pk=later.pk).warn_at)
    assert Notification.objects.filter(**about(later), user=staff).exists()
