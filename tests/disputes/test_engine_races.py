"""The disputes' sweep racing itself on committed rows: several sweeps at once (threads, each with its
own database connection), forced to hold their batches at the same time; and a case locked by a
workflow action. The database is the arbiter (SKIP LOCKED, the unique (case, cycle, mark), the
reminder's row lock): each step and each reminder happens once.

These tests commit (the other connections must see the rows), so they run outside the rolled-back
test transaction, and remove what they made at the end."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from django.db import connection, connections

from disputes import clocks as dispute_clocks
from disputes import engine
from disputes.models import Dispute, DisputeAction, Obligation, Reminder
from inbox.models import Notification
from tests.disputes.factories import make_dispute

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
DAY = timedelta(days=1)
BARRIER_SECONDS = 30


@pytest.fixture(autouse=True)
def disputes_round_the_clock():
    """Not the package's: that one opens the rolled-back test transaction (it needs `db`), whose
    uncommitted rows the racing connections would wait for. The committed world counts round the
    clock already (`world`)."""
    yield


@pytest.fixture(scope="module", autouse=True)
def committed_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        world()
        forget_disputes()
        yield
        forget_disputes()
        connections.close_all()


def world() -> None:
    """The district and the disputes' reference data, made again if a test that flushes the database
    (transaction=True) ran before this module."""
    import importlib

    from django.apps import apps

    from grids.models import Center

    if not Center.objects.exists():
        from wenjiang_ops.demo import seed_demo

        seed_demo(lambda line: None, events=False)
    reference = importlib.import_module("disputes.migrations.0002_timeline_immutable_and_reference")
    reference.load(apps, None)  # get_or_create: nothing changes when the rows are there
    dispute_clocks.limits(fresh=True)


def forget_disputes() -> None:
    """Removes every case with its timeline (immutable: TRUNCATE, which its row triggers do not see),
    schedule, reminders and messages, and the committees' counters (the committees are the session's
    seed: they stay)."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE disputes_dispute, disputes_casecounter CASCADE")
    Notification.objects.filter(subject_type="disputes.dispute").delete()


def all_at_once(*calls):
    """Runs the calls in threads released together; returns their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls), timeout=BARRIER_SECONDS)
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # returned, so that the test sees it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(BARRIER_SECONDS * 2)
    assert not any(t.is_alive() for t in threads), "a racing sweep hung"
    return results


def test_three_sweeps_holding_their_batches_at_once_make_each_step_once(monkeypatch):
    forget_disputes()
    cases = [make_dispute(now=T0) for _ in range(24)]
    ids = [d.pk for d in cases]
    later = T0 + 31 * DAY  # warning, deadline and escalation all due
    held = threading.Barrier(3, timeout=BARRIER_SECONDS)
    mine = threading.local()
    real = engine._clock_steps
    waited = []

    def holding(batch, now):
        if not getattr(mine, "waited", False):
            mine.waited = True
            waited.append(len(batch))
            held.wait()  # every sweep is now inside its first batch's transaction, its cases locked
        return real(batch, now)

    monkeypatch.setattr(engine, "_clock_steps", holding)
    results = all_at_once(*[lambda: engine.sweep(now=later, batch_size=5)] * 3)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert waited == [5, 5, 5]  # three batches of different cases, held together
    assert sum(results) == 24 * 3

    marks = Counter(
        DisputeAction.objects.filter(dispute_id__in=ids, mark__isnull=False).values_list("dispute_id", "mark")
    )
    assert set(marks.values()) == {1}
    assert set(marks) == {(pk, mark) for pk in ids for mark in (1, 2, 4)}
    assert set(Dispute.objects.filter(pk__in=ids).values_list("level", flat=True)) == {"town"}
    told = Counter(
        Notification.objects.filter(subject_id__in=ids, subject_type="disputes.dispute").values_list("kind", flat=True)
    )
    # Per case: the warning to 2 staff and the mediator, the yellow card to them and 2 at the town,
    # the escalation to the town's 2.
    assert told == {"dispute_warning": 24 * 3, "dispute_overdue": 24 * 5, "dispute_escalated": 24 * 2}
    assert engine.sweep(now=later) == 0


def test_racing_sweeps_send_each_reminder_once():
    forget_disputes()
    agreed = T0 + 5 * DAY
    # Oral agreements: no confirmation window to remind of, one reminder (the obligation) per case.
    cases = [make_dispute(now=T0, state="agreed", phase="", agreed_at=agreed, agreement_form="oral") for _ in range(20)]
    for dispute in cases:
        Obligation.objects.create(dispute=dispute, description="赔偿3000元", due_date=date(2026, 3, 16))
        engine.reminders_plan(dispute, now=agreed)
    results = all_at_once(*[lambda: engine.sweep(now=T0 + 20 * DAY, batch_size=3)] * 3)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 20
    ids = [d.pk for d in cases]
    assert Reminder.objects.filter(dispute_id__in=ids, sent_at__isnull=False).count() == 20
    assert DisputeAction.objects.filter(dispute_id__in=ids, data__reminder="obligation").count() == 20
    told = Counter(
        Notification.objects.filter(subject_id__in=ids, kind="dispute_obligation_due").values_list(
            "subject_id", flat=True
        )
    )
    assert told == dict.fromkeys(ids, 3)  # two staff and the mediator, once each


def test_a_case_locked_by_a_workflow_action_is_skipped_and_made_later():
    forget_disputes()
    held, free = make_dispute(now=T0), make_dispute(now=T0)
    db = connection.settings_dict
    action = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
    try:
        cursor = action.cursor()
        cursor.execute("SELECT 1 FROM disputes_dispute WHERE id = %s FOR UPDATE", [held.pk])  # an action's lock
        assert engine.sweep(now=T0 + 21 * DAY) == 1
        assert not DisputeAction.objects.filter(dispute=held).exists()
        assert DisputeAction.objects.filter(dispute=free, mark=1).exists()
    finally:
        action.rollback()
        action.close()
    assert engine.sweep(now=T0 + 21 * DAY) == 1  # its turn, once the action committed
    assert DisputeAction.objects.filter(dispute=held, mark=1).count() == 1
