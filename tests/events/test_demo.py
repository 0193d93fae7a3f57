"""The demo history: made by the workflow rules, complete timelines, plausible figures, once."""

from datetime import datetime
from itertools import groupby, pairwise
from zoneinfo import ZoneInfo

import pytest

from events import clocks as event_clocks
from events.demo import History, event_rng, seed_events
from events.models import Event, EventAction, EventSchedule
from events.selectors import Period, stats_summary

pytestmark = pytest.mark.django_db
END = datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def history(db):
    seed_events(lambda line: None, count=1500, end=END)
    return Event.objects.all()


def test_every_timeline_is_a_complete_chain(history):
    rows = EventAction.objects.order_by("event_id", "created_at", "id").values_list(
        "event_id", "action", "from_state", "to_state", "created_at"
    )
    states = dict(history.values_list("pk", "state"))
    chains = 0
    for event_id, steps in groupby(rows, key=lambda r: r[0]):
        steps = list(steps)
        assert steps[0][1:4] == ("report", "", "reported")
        for before, after in pairwise(steps):
            assert after[2] == before[3], (event_id, before, after)  # each step starts where the last ended
            assert after[4] >= before[4]
        assert steps[-1][3] == states[event_id]
        chains += 1
    assert chains == 1500


def test_the_open_events_are_scheduled_as_their_clocks_say(history):
    stored = dict(EventSchedule.objects.values_list("event_id", "next_due_at"))
    expected = {e.pk: due for e in history if (due := event_clocks.next_due(e)) is not None}
    assert stored == expected and stored  # the open events are on the engine's list, the others not


def test_the_history_has_every_kind_of_story(history):
    states = set(history.values_list("state", flat=True))
    assert {"closed", "rejected"} <= states
    assert len(states) >= 4  # and some still open at the end
    actions = set(EventAction.objects.values_list("action", flat=True))
    assert {
        "self_handle",
        "dispatch",
        "sign",
        "handle",
        "return",
        "escalate",
        "verify_fail",
        "verify_pass",
        "supervise",
        "request_extension",
    } <= actions
    assert history.filter(created_at__gt=END).count() == 0


def test_the_figures_come_out_of_the_data(history):
    totals = stats_summary(history, Period(END.replace(year=2025), END))["totals"]
    assert totals["reported"] == 1500
    assert 0.9 < totals["closure_rate"] < 1.0
    assert 0.7 < totals["on_time_rate"] < totals["closure_rate"]
    assert 0 < totals["rework_rate"] < 0.1


def test_a_second_run_changes_nothing(history):
    before = (Event.objects.count(), EventAction.objects.count())
    seed_events(lambda line: None, count=1500, end=END)
    assert (Event.objects.count(), EventAction.objects.count()) == before


def test_the_same_seed_makes_the_same_history(history):
    again = History(event_rng(-1), END)
    for index in (0, 7, 1499):
        again.rng = event_rng(index)
        event, _rows = again.report(index)
        stored = history.get(client_id=event.client_id)
        assert (stored.category_id, stored.created_at, stored.description) == (
            event.category_id,
            event.created_at,
            event.description,
        )
