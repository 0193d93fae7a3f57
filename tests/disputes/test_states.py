"""The dispute workflow table and permissions, exhaustively, without a database."""

import itertools

import pytest

from accounts.models import Role
from disputes.choices import Action, State
from disputes.domain import permissions, states
from disputes.domain.permissions import ActorFacts, DisputeFacts, may

A, S = Action, State

# Every state change the table makes (the flag actions stay in their state).
MOVES = {
    (S.RECEIVED, A.ACCEPT): S.MEDIATING,
    (S.RECEIVED, A.REFER): S.REFERRED,
    (S.RECEIVED, A.REFUSE): S.FAILED,
    (S.RECEIVED, A.WITHDRAW): S.WITHDRAWN,
    (S.MEDIATING, A.AGREE): S.AGREED,
    (S.MEDIATING, A.TERMINATE): S.FAILED,
    (S.MEDIATING, A.REFUSE): S.FAILED,
    (S.MEDIATING, A.WITHDRAW): S.WITHDRAWN,
    (S.MEDIATING, A.REFER): S.REFERRED,
    (S.MEDIATING, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.RESUME): S.MEDIATING,
    (S.SUSPENDED, A.WITHDRAW): S.WITHDRAWN,
    (S.SUSPENDED, A.TERMINATE): S.FAILED,
    (S.AGREED, A.CLOSE): S.CLOSED,
    (S.AGREED, A.BREACH): S.MEDIATING,
    (S.AGREED, A.TERMINATE): S.FAILED,
}


@pytest.mark.parametrize("state,action", list(itertools.product(State, Action)))
def test_every_pair(state, action):
    key = (state, action)
    if key in MOVES:
        assert states.next_state(state, action) == MOVES[key]
    elif key in states.TRANSITIONS:
        assert states.next_state(state, action) == state  # a flag action: the state stays
    else:
        with pytest.raises(states.IllegalTransition):
            states.next_state(state, action)


def test_final_states_allow_only_records():
    for state in states.FINAL_STATES:
        moves = {a for a in states.allowed_actions(state) if states.next_state(state, a) != state}
        assert moves == set()
    assert states.allowed_actions(S.FAILED) == [] and states.allowed_actions(S.REFERRED) == []


def test_clocks_run_in_received_and_mediating_only():
    running = {s for s, phase in states.PHASE_OF_STATE.items() if phase}
    assert running == {S.RECEIVED, S.MEDIATING}


TOWN, COMMUNITY, OTHER = "/510115/510115001/", "/510115/510115001/510115001001/", "/510115/510115002/"
CASE = DisputeFacts(state=S.MEDIATING, center_path=COMMUNITY, reporter_id=7, mediator_ids=frozenset({5}))


def actor(role, path=COMMUNITY, uid=1, admin=False):
    return ActorFacts(user_id=uid, role=role, center_path=path, is_admin=admin)


@pytest.mark.parametrize("action", list(Action))
def test_holder_staff_triage_and_may_mediate(action):
    expected = action in permissions.HOLDER_ACTIONS | permissions.MEDIATOR_ACTIONS
    assert may(actor(Role.CENTER_STAFF), CASE, action) is expected


@pytest.mark.parametrize("action", list(Action))
def test_named_mediator_mediates_but_does_not_triage(action):
    expected = action in permissions.MEDIATOR_ACTIONS or action == A.ACCEPT  # a mediator of the holding center
    assert may(actor(Role.MEDIATOR, uid=5), CASE, action) is expected
    elsewhere = DisputeFacts(state=S.MEDIATING, center_path=TOWN, reporter_id=7, mediator_ids=frozenset({5}))
    assert may(actor(Role.MEDIATOR, uid=5), elsewhere, action) is (action in permissions.MEDIATOR_ACTIONS)


@pytest.mark.parametrize("action", list(Action))
def test_a_mediator_not_named_may_only_accept_at_their_center(action):
    assert may(actor(Role.MEDIATOR, uid=6), CASE, action) is (action == A.ACCEPT)
    assert may(actor(Role.MEDIATOR, path=OTHER, uid=6), CASE, action) is False


@pytest.mark.parametrize("action", list(Action))
def test_higher_center_only_urges(action):
    assert may(actor(Role.DUTY_OFFICER, path=TOWN), CASE, action) is (action == A.URGE)
    assert may(actor(Role.DUTY_OFFICER, path=OTHER), CASE, action) is False


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.VOLUNTEER, Role.DEPARTMENT_STAFF])
@pytest.mark.parametrize("action", list(Action))
def test_other_roles_do_nothing_but_the_reporter_adds_while_received(role, action):
    assert may(actor(role, uid=7), CASE, action) is False
    received = DisputeFacts(state=S.RECEIVED, center_path=COMMUNITY, reporter_id=7)
    assert may(actor(role, uid=7), received, action) is (action in (A.ATTACH, A.INVESTIGATE))
    assert may(actor(role, uid=8), received, action) is False


@pytest.mark.parametrize("action", [A.REPORT, A.WARN, A.ALARM])
def test_system_actions_belong_to_no_one(action):
    assert not may(actor(Role.ADMIN, admin=True), CASE, action)
