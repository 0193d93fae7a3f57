"""The demo's year of disputes, on a small count: every step legal, numbers whole, outcomes plausible."""

import re
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from disputes import clocks
from disputes.choices import Action, AgreementForm, ReminderKind, State
from disputes.demo.year import seed_disputes
from disputes.domain import states
from disputes.models import CaseCounter, Dispute, DisputeAction, DisputeSchedule, FollowUp, Party, Reminder

pytestmark = pytest.mark.django_db

END = datetime(2026, 11, 30, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
COUNT = 400


@pytest.fixture(scope="module")
def year(django_db_setup, django_db_blocker):
    """The small year, seeded once for the module and rolled back after it."""
    from django.db import transaction

    lines = []
    with django_db_blocker.unblock(), transaction.atomic():
        seed_disputes(lines.append, count=COUNT, end=END)
        yield lines
        transaction.set_rollback(True)


def test_every_timeline_step_is_a_legal_transition(year):
    rows = list(DisputeAction.objects.values_list("dispute_id", "action", "from_state", "to_state", "created_at"))
    assert len(rows) > COUNT * 4
    reports = 0
    for _dispute, action, from_state, to_state, _at in rows:
        if action == Action.REPORT:
            reports += 1
            assert from_state == "" and to_state == State.RECEIVED
        else:
            assert states.next_state(from_state, action) == to_state, (action, from_state, to_state)
    assert reports == COUNT
    # Each case's story ends in the state it is in.
    last = {}
    for dispute, _action, _from, to_state, _at in sorted(rows, key=lambda r: (r[0], r[4])):
        last[dispute] = to_state
    assert dict(Dispute.objects.values_list("pk", "state")) == last


def test_numbers_are_unique_and_counters_consistent(year):
    serials = defaultdict(list)
    for committee, year_, serial in Dispute.objects.values_list("committee_id", "year", "serial"):
        serials[(committee, year_)].append(serial)
    assert Dispute.objects.values("number").distinct().count() == COUNT
    counters = {(c.committee_id, c.year): c.last for c in CaseCounter.objects.all()}
    for key, got in serials.items():
        assert sorted(got) == list(range(1, len(got) + 1)), key  # no gaps, no duplicates
        assert counters[key] == len(got)


def test_success_rate_is_computed_and_plausible(year):
    settled = Dispute.objects.filter(created_at__lt=END - timedelta(days=90))
    taken_in = settled.count()
    agreements = settled.filter(agreed_at__isnull=False).count()
    assert taken_in > 250
    assert 0.94 <= agreements / taken_in < 1.0
    outcomes = set(settled.values_list("state", flat=True))
    assert {State.CLOSED} <= outcomes and outcomes & {State.FAILED, State.WITHDRAWN, State.REFERRED}


def test_open_cases_have_their_schedule_rows(year):
    open_cases = Dispute.objects.filter(state__in=[State.RECEIVED, State.MEDIATING]).select_related("center")
    assert open_cases.exists()
    schedules = dict(DisputeSchedule.objects.values_list("dispute_id", "next_due_at"))
    for dispute in open_cases:
        due = clocks.next_due(dispute)
        assert due is not None and due > END
        assert schedules[dispute.pk] == due
    # No schedule row for a case without a running clock.
    assert not Dispute.objects.filter(pk__in=schedules).exclude(state__in=[State.RECEIVED, State.MEDIATING]).exists()


def test_parties_id_numbers_are_masked_and_hashed(year):
    with_id = Party.objects.exclude(id_number_masked="")
    assert with_id.exists()
    for masked, digest in with_id.values_list("id_number_masked", "id_number_hash"):
        assert re.fullmatch(r"510115\*{11}[0-9X]", masked) and len(digest) == 64
    whole = re.compile(r"\d{17}[0-9X]")
    for row in Party.objects.values():
        row.pop("id_number_hash")  # hex digits
        assert not any(isinstance(v, str) and whole.search(v) for v in row.values())


def test_seeding_twice_changes_nothing(year):
    before = (Dispute.objects.count(), DisputeAction.objects.count())
    lines = []
    seed_disputes(lines.append, count=COUNT, end=END)
    assert lines == ["disputes: already there"]
    assert (Dispute.objects.count(), DisputeAction.objects.count()) == before


def test_reminders_are_planned_sent_or_cancelled_as_the_engine_would(year):
    old_written = Dispute.objects.filter(agreement_form=AgreementForm.WRITTEN, created_at__lt=END - timedelta(days=60))
    assert old_written.exists()
    confirmation = set(Reminder.objects.filter(kind=ReminderKind.CONFIRMATION).values_list("dispute_id", flat=True))
    assert set(old_written.values_list("pk", flat=True)) <= confirmation
    rows = list(Reminder.objects.select_related("dispute"))
    for row in rows:
        assert not (row.sent_at and row.cancelled)
        if row.sent_at is not None:
            assert row.due_at <= row.sent_at <= END and row.sent_at >= row.dispute.agreed_at
        elif not row.cancelled:
            assert max(row.due_at, row.dispute.agreed_at) > END  # pending: its moment has not come
    # A visit made before its reminder came cancelled it.
    for row in rows:
        if row.kind == ReminderKind.FOLLOW_UP and row.cancelled:
            visit = FollowUp.objects.get(pk=row.key)
            assert visit.visited_at is not None and visit.visited_at < max(row.due_at, row.dispute.agreed_at)


def test_the_sweeps_steps_are_system_rows_once_per_cycle(year):
    marked = DisputeAction.objects.filter(mark__isnull=False)
    assert marked.exists()
    assert not marked.filter(actor__isnull=False).exists()
    assert set(marked.values_list("action", flat=True)) <= {Action.WARN, Action.ESCALATE}
    overdue = Dispute.objects.filter(state__in=[State.RECEIVED, State.MEDIATING], due_at__lt=END)
    for dispute in overdue:  # past the deadline: the yellow card was given, the light is red
        assert dispute.light == "red" and dispute.clock_marks & 2
