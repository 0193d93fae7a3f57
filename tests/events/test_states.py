"""The transition table, without a database."""

import pytest

from events.choices import Action, Phase, State
from events.domain import clocks
from events.domain.states import (
    FINAL_STATES,
    PHASE_OF_STATE,
    TRANSITIONS,
    IllegalTransition,
    after_handle,
    after_return,
    after_sign,
    allowed_actions,
    next_state,
    resume_state,
)

EXPECTED_STATE_CHANGES = {
    ("reported", "accept"): "accepted",
    ("reported", "reject"): "rejected",
    ("reported", "merge"): "merged",
    ("accepted", "merge"): "merged",
    ("reported", "self_handle"): "self_handled",
    ("accepted", "self_handle"): "self_handled",
    ("accepted", "dispatch"): "dispatched",
    ("dispatched", "sign"): "in_progress",
    ("dispatched", "return"): "accepted",
    ("in_progress", "return"): "accepted",
    ("in_progress", "handle"): "handled",
    ("handled", "dispatch"): "verifying",
    ("handled", "verify_pass"): "closed",
    ("verifying", "verify_pass"): "closed",
    ("self_handled", "verify_pass"): "closed",
    ("handled", "verify_fail"): "in_progress",
    ("verifying", "verify_fail"): "in_progress",
    ("self_handled", "verify_fail"): "accepted",
    ("closed", "reopen"): "accepted",
    ("accepted", "suspend"): "suspended",
    ("dispatched", "suspend"): "suspended",
    ("in_progress", "suspend"): "suspended",
}


@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("action", Action.values)
def test_every_state_and_action_is_allowed_or_illegal(state, action):
    if (state, action) in TRANSITIONS:
        target = next_state(state, action)
        expected = EXPECTED_STATE_CHANGES.get((state, action))
        if expected is not None:
            assert target == expected
        elif action != "resume":
            assert target == state, "actions outside the list above never change the state"
    else:
        with pytest.raises(IllegalTransition):
            next_state(state, action)


def test_final_states_allow_nothing_but_a_reopen():
    """And the citizen's rating of a closed event (the hotline's return call), which keeps it closed."""
    for state in FINAL_STATES:
        assert allowed_actions(state) == ([Action.REOPEN, Action.RATE] if state == State.CLOSED else [])
    assert next_state(State.CLOSED, Action.RATE) == State.CLOSED


def test_intake_and_system_warnings_are_not_user_transitions_from_final_states():
    assert (State.CLOSED, Action.ESCALATE) not in TRANSITIONS
    assert all((s, Action.REPORT) not in TRANSITIONS for s in State)


def test_guards():
    assert after_sign(State.DISPATCHED, lead_signed=True) == State.IN_PROGRESS
    assert after_sign(State.DISPATCHED, lead_signed=False) == State.DISPATCHED
    assert after_handle(State.IN_PROGRESS, all_done=False) == State.IN_PROGRESS
    assert after_handle(State.IN_PROGRESS, all_done=True) == State.HANDLED
    assert after_return(State.IN_PROGRESS, lead_returned=False) == State.IN_PROGRESS
    assert after_return(State.DISPATCHED, lead_returned=True) == State.ACCEPTED
    assert resume_state(State.SUSPENDED, suspended_from=State.DISPATCHED) == State.DISPATCHED
    with pytest.raises(IllegalTransition):
        resume_state(State.ACCEPTED, suspended_from=State.DISPATCHED)


def test_every_state_has_a_phase_entry():
    assert set(PHASE_OF_STATE) == set(State)


LIMITS = {
    ("accept", "community", None, False): 120,
    ("accept", "community", None, True): 30,
    ("handle", "community", None, False): 2880,
    ("handle", "community", 7, False): 480,
    ("sign", "community", None, False): 60,
    ("verify", "community", None, False): 600,
}


def test_the_most_specific_limit_wins():
    kw = {"phase": Phase.HANDLE, "level": "community", "urgent": False}
    assert clocks.limit_minutes(LIMITS, category_chain=[9, 7], **kw) == 480  # the parent's own row
    assert clocks.limit_minutes(LIMITS, category_chain=[9], **kw) == 2880  # the default row
    assert clocks.limit_minutes(LIMITS, phase="accept", level="community", category_chain=[9], urgent=True) == 30
    with pytest.raises(clocks.MissingLimit):
        clocks.limit_minutes(LIMITS, phase="accept", level="town", category_chain=[9], urgent=False)


def test_the_overall_deadline_is_the_phases_end_to_end():
    from datetime import datetime, timedelta

    start = datetime(2026, 11, 27, 9, 0)
    deadline = clocks.overall_deadline(LIMITS, level="community", category_chain=[3], urgent=False, start=start)
    assert deadline == start + timedelta(minutes=120 + 60 + 2880 + 600)
