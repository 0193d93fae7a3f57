"""Races on the real PostgreSQL, with real concurrency: many connections at once (threads, each with its
own database connection, released together by a barrier) and several sweeping processes.

The database is the arbiter in every case (a unique key, a row lock, SKIP LOCKED): these tests fail if
one of those is lost, e.g. a lookup-then-insert on `client_id` or an action that reads the state
without holding the event's row lock.
"""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from events import engine
from events.models import Event, EventAction, EventAssignment
from grids.models import Department, Grid

BARRIER_SECONDS = 30


@pytest.fixture(scope="module", autouse=True)
def committed_world(django_db_setup, django_db_blocker):
    """These tests commit (the other connections must see their rows), so they run outside the
    rolled-back test transaction; the district is loaded once for the module (not flushed and re-seeded
    per test as `transaction=True` would) and what the tests made is deleted at the end."""
    from events.clocks import reference_changed
    from tests.events.test_engine import _committed_world
    from wenjiang_ops.demo import assign_calendars

    with django_db_blocker.unblock():
        _committed_world()  # round the clock: the calendars have tests of their own
        reference_changed()
        yield
        forget_events()
        assign_calendars(lambda line: None)  # as the session's seed left them
        reference_changed()
        connections.close_all()


@pytest.fixture(autouse=True)
def round_the_clock():
    """Replaces the events tests' fixture of that name: it would open the rolled-back transaction."""


def forget_events() -> None:
    """Removes every event with its timeline, tickets, schedule and messages (the session's seed has
    none): for tests that commit."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE events_event CASCADE")


def all_at_once(*calls):
    """Runs the calls in threads released together (each thread has its own database connection);
    returns their results in order. An exception in a call is returned as its result."""
    barrier = threading.Barrier(len(calls), timeout=BARRIER_SECONDS)
    results = [None] * len(calls)

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
    assert not any(t.is_alive() for t in threads), "a racing call hung"
    return results


def client_as(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def post_report(client_id: str):
    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    from events.models import EventCategory

    body = {
        "category": EventCategory.objects.get(code="sa-garbage").pk,
        "description": "同一上报重复提交二十次",
        "lat": point.y,
        "lng": point.x,
        "client_id": client_id,
    }
    client = client_as("gridworker")
    return lambda: client.post("/api/events/", body, format="json")


def post_action(username: str, event_id: int, action: str, **params):
    client = client_as(username)
    body = {"action": action, "reason": "并发测试", **params}
    return lambda: client.post(f"/api/events/{event_id}/actions/", body, format="json")


@pytest.mark.django_db
def test_the_arbiters_are_in_the_database():
    """What the races below rely on is the database's, not the code's: a unique index on client_id.
    (This test also makes pytest-django create the test database when this file runs alone.)"""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Event._meta.db_table)
    assert any(c["unique"] and c["columns"] == ["client_id"] for c in constraints.values())


def test_the_same_client_id_from_twenty_connections_at_once_makes_one_event():
    client_id = str(uuid.uuid4())
    responses = all_at_once(*[post_report(client_id) for _ in range(20)])
    assert not [r for r in responses if isinstance(r, Exception)], responses
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 1, 200: 19}, codes  # one made it; the others are answered with it
    assert len({r.json()["id"] for r in responses}) == 1
    [event] = Event.objects.filter(client_id=client_id)
    assert EventAction.objects.filter(event=event, action="report").count() == 1


def _reported():
    from events.services import event_report

    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    from events.models import EventCategory

    event, _ = event_report(
        reporter=User.objects.get(username="gridworker"),
        category_id=EventCategory.objects.get(code="sa-garbage").pk,
        description="并发操作测试",
        lat=point.y,
        lng=point.x,
        client_id=uuid.uuid4(),
    )
    return event


def test_accept_and_reject_at_once_one_wins_and_the_other_is_told_409():
    for _ in range(3):  # a few rounds: either may win, never both
        event = _reported()
        accept, reject = all_at_once(
            post_action("hangtianlu", event.pk, "accept"), post_action("hangtianlu", event.pk, "reject")
        )
        codes = sorted([accept.status_code, reject.status_code])
        assert codes == [200, 409], (accept.content, reject.content)
        winner = "accept" if accept.status_code == 200 else "reject"
        event.refresh_from_db()
        assert event.state == {"accept": "accepted", "reject": "rejected"}[winner]
        workflow = list(EventAction.objects.filter(event=event, mark__isnull=True).values_list("action", flat=True))
        assert workflow == ["report", winner]
        loser = reject if winner == "accept" else accept
        assert loser.json()["state"] == event.state  # the 409 names the state it lost to


def test_sign_and_return_at_once_leave_the_timeline_and_the_tickets_consistent():
    from events.services import event_transition

    community = User.objects.get(username="hangtianlu")
    police = Department.objects.get(code="police")
    outcomes = set()
    for _ in range(4):
        event = _reported()
        event_transition(event_id=event.pk, action="accept", actor=community)
        event_transition(event_id=event.pk, action="dispatch", actor=community, lead_department=police.pk)
        sign, ret = all_at_once(post_action("police", event.pk, "sign"), post_action("police", event.pk, "return"))
        event.refresh_from_db()
        workflow = list(
            EventAction.objects.filter(event=event, mark__isnull=True).order_by("id").values_list("action", flat=True)
        )
        ticket = EventAssignment.objects.get(event=event, department=police)
        # Return is allowed before and after signing, sign only before a return: two outcomes.
        if sign.status_code == 200:
            # signed first, then returned: both on the timeline, in that order
            assert ret.status_code == 200, ret.content
            assert workflow == ["report", "accept", "dispatch", "sign", "return"]
            outcomes.add("sign, then return")
        else:
            assert (sign.status_code, ret.status_code) == (409, 200), (sign.content, ret.content)
            assert workflow == ["report", "accept", "dispatch", "return"]
            outcomes.add("return; sign refused")
        # Either way the event is back with the community and no department holds a live ticket.
        assert event.state == "accepted"
        assert not ticket.active and ticket.state == "returned"
        assert not EventAssignment.objects.filter(event=event, active=True).exists()
    assert outcomes  # (which outcome happens is the scheduler's choice)


# --- sweeps in several processes ---------------------------------------------------------------------


def _sweeping_process(barrier, later, batch_size, results):
    """A child process: sweeps, holding its first batch (claimed and locked, uncommitted) until every
    process holds one, so that the claims are forced to overlap in time."""
    from django.db import connections as child_connections

    real = engine._process
    waited = []

    def held(rows, now, result):
        if not waited:
            waited.append(True)
            barrier.wait()  # every sweeper is now inside its batch's transaction
        return real(rows, now, result)

    engine._process = held
    try:
        r = engine.sweep(now=later, batch_size=batch_size)
        results.put((r.events, r.warnings, r.overdue, r.escalations, len(waited)))
    except Exception as exc:  # reported to the parent
        results.put(repr(exc))
    finally:
        child_connections.close_all()


def test_sweeps_in_three_processes_forced_to_overlap_make_each_step_exactly_once():
    from tests.events.test_engine import _report_many

    processes_n, batch_size = 3, 6
    forget_events()  # the other tests' events would be due too
    events = _report_many(60)
    ids = [e.pk for e in events]
    later = timezone.now() + timedelta(days=1)  # warning, deadline and escalation all due
    connections.close_all()  # the children must not share the parent's connection

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes_n, timeout=BARRIER_SECONDS)
    results = context.Queue()
    children = [
        context.Process(target=_sweeping_process, args=(barrier, later, batch_size, results))
        for _ in range(processes_n)
    ]
    for child in children:
        child.start()
    outcome = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    assert all(isinstance(o, tuple) for o in outcome), outcome
    assert all(o[4] == 1 for o in outcome)  # every process held a batch while the others did
    assert sum(o[0] for o in outcome) == 60  # 60 events acted on between them, none twice
    assert sum(o[3] for o in outcome) == 60

    # Exactly one mark per due step per event: warning (1), deadline (2), escalation (4).
    marks = Counter(EventAction.objects.filter(event_id__in=ids, mark__isnull=False).values_list("event_id", "mark"))
    assert set(marks.values()) == {1}
    assert {(event_id, mark) for event_id, mark in marks} == {(i, m) for i in ids for m in (1, 2, 4)}
    assert set(Event.objects.filter(pk__in=ids).values_list("level", flat=True)) == {"town"}

    # And a sweep now finds nothing more due at that moment.
    assert engine.sweep(now=later).events == 0
