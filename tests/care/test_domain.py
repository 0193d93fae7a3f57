"""The care domain without a database: the status table, lost contact by visits, the visit moments
on calendars, masking, and who may do what."""

from datetime import date, datetime, time, timedelta
from itertools import product

import pytest

from care.choices import Action, Status
from care.domain import rules
from care.domain.masking import mask_name
from care.domain.permissions import ActorFacts, may
from clocks.calendars import ROUND_THE_CLOCK, SHANGHAI, WorkingHours

EXPECTED = {
    (Status.IN_CARE, Action.VISIT): Status.IN_CARE,
    (Status.LOST, Action.VISIT): Status.LOST,
    (Status.IN_CARE, Action.CORRECT): Status.IN_CARE,
    (Status.LOST, Action.CORRECT): Status.LOST,
    (Status.ENDED, Action.CORRECT): Status.ENDED,
    (Status.IN_CARE, Action.RISK): Status.IN_CARE,
    (Status.LOST, Action.RISK): Status.LOST,
    (Status.IN_CARE, Action.ASSIGN): Status.IN_CARE,
    (Status.LOST, Action.ASSIGN): Status.LOST,
    (Status.IN_CARE, Action.LOST_CONTACT): Status.LOST,
    (Status.LOST, Action.FOUND): Status.IN_CARE,
    (Status.IN_CARE, Action.END): Status.ENDED,
    (Status.LOST, Action.END): Status.ENDED,
}


@pytest.mark.parametrize(("status", "action"), list(product(Status, Action)))
def test_every_status_and_action(status, action):
    if (status, action) in EXPECTED:
        assert rules.next_status(status, action) == EXPECTED[(status, action)]
    else:
        with pytest.raises(rules.IllegalTransition):
            rules.next_status(status, action)


def test_an_ended_record_takes_nothing_but_a_correction():
    allowed = [a for a in Action if (Status.ENDED, a) in rules.TRANSITIONS]
    assert allowed == [Action.CORRECT]


@pytest.mark.parametrize(
    ("found", "lost"),
    [
        ([], False),
        ([False], False),
        ([False, False], True),
        ([False, False, True], True),
        ([True, False], False),
        ([False, True], False),
        ([True, True], False),
    ],
)
def test_lost_after_two_visits_not_found_in_a_row(found, lost):
    assert rules.lost_by_visits(found) is lost


START = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday


def test_moments_round_the_clock():
    m = rules.visit_moments(start=START, rule=rules.Rule(30, 5, 3))
    assert m.due_at == START + timedelta(days=30)
    assert m.warn_at == START + timedelta(days=25)
    assert m.escalate_at == START + timedelta(days=33)


def test_warning_never_before_the_start_nor_after_the_due_date():
    m = rules.visit_moments(start=START, rule=rules.Rule(2, 9, 0))
    assert m.warn_at == START
    assert m.escalate_at == m.due_at == START + timedelta(days=2)


OFFICE = WorkingHours(
    periods=[(time(9), time(12)), (time(13, 30), time(17, 30))],
    special_days={date(2026, 4, 6): False, date(2026, 4, 11): True},  # a holiday; a make-up Saturday
)


def test_a_due_date_on_a_weekend_moves_to_the_next_working_morning():
    start = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)  # a Friday; +8 days = Saturday
    m = rules.visit_moments(start=start, rule=rules.Rule(8, 2, 1), calendar=OFFICE)
    assert m.due_at == datetime(2026, 3, 16, 9, 0, tzinfo=SHANGHAI)  # Monday 09:00
    assert m.warn_at == datetime(2026, 3, 12, 10, 0, tzinfo=SHANGHAI)  # a Thursday: kept
    assert m.escalate_at == datetime(2026, 3, 16, 9, 0, tzinfo=SHANGHAI)  # Sunday → Monday


def test_holidays_and_make_up_days_count_as_the_calendar_says():
    start = datetime(2026, 3, 30, 10, 0, tzinfo=SHANGHAI)  # Monday; +7 = Monday 6 April, a holiday
    m = rules.visit_moments(start=start, rule=rules.Rule(7, 0, 5), calendar=OFFICE)
    assert m.due_at == datetime(2026, 4, 7, 9, 0, tzinfo=SHANGHAI)
    assert m.escalate_at == datetime(2026, 4, 11, 10, 0, tzinfo=SHANGHAI)  # the make-up Saturday


def test_a_moment_in_the_lunch_break_moves_to_the_afternoon():
    assert rules.working_moment(OFFICE, datetime(2026, 3, 2, 12, 30, tzinfo=SHANGHAI)) == datetime(
        2026, 3, 2, 13, 30, tzinfo=SHANGHAI
    )
    assert rules.working_moment(ROUND_THE_CLOCK, START) == START


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("张小明", "张*明"), ("欧阳小明", "欧**明"), ("王", "*"), ("", "")]
)
def test_masking(name, masked):
    assert mask_name(name) == masked


NEAR_ACTIONS = (Action.VISIT, Action.CORRECT, Action.LOST_CONTACT, Action.FOUND)
DECISIONS = (Action.RISK, Action.ASSIGN, Action.END, Action.CREATE)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize(
    "facts",
    [
        ActorFacts(role="admin", admin=True),
        ActorFacts(role="grid_worker", assigned=True),
        ActorFacts(role="grid_worker", team=True),
        ActorFacts(role="grid_worker"),
        ActorFacts(role="department_staff", department=True),
        ActorFacts(role="department_staff", team=True),
        ActorFacts(role="center_staff", authorised=True),
        ActorFacts(role="center_staff"),
        ActorFacts(role="volunteer", team=True),
    ],
)
def test_who_may_do_what(facts, action):
    near = facts.assigned or facts.team or facts.department or facts.authorised
    if facts.admin:
        expected = True
    elif action in NEAR_ACTIONS:
        expected = near and facts.role != "volunteer"
    elif action in DECISIONS:
        expected = facts.department or facts.authorised
    else:
        expected = False
    assert may(facts, action) is expected
