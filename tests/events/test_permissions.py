"""`may()` over plain facts, without a database: the verifier and the handler are different roles."""

import pytest

from accounts.models import Role
from events.choices import Action, State
from events.domain.permissions import ActorFacts, EventFacts, may

WORKER = ActorFacts(user_id=7, role=Role.GRID_WORKER, center_path="/1/2/3/", department_id=None)
HANDLING = ("sign", "handle", "return", "request_extension")


def event(state, *, assignee=None, verifier=None):
    return EventFacts(state=state, center_path="/1/2/3/", reporter_id=1, assignee_id=assignee, verifier_id=verifier)


@pytest.mark.parametrize("state", [State.DISPATCHED, State.IN_PROGRESS, State.VERIFYING, State.HANDLED])
@pytest.mark.parametrize("action", HANDLING)
def test_a_verifier_never_handles(state, action):
    assert not may(WORKER, event(state, verifier=7), Action(action))


@pytest.mark.parametrize("action", ["verify_pass", "verify_fail"])
def test_a_verifier_verifies_only_while_verifying(action):
    assert may(WORKER, event(State.VERIFYING, verifier=7), Action(action))
    assert not may(WORKER, event(State.IN_PROGRESS, verifier=7), Action(action))
    assert not may(WORKER, event(State.VERIFYING, assignee=7), Action(action))  # the handler does not verify


def test_the_handler_handles():
    assert may(WORKER, event(State.DISPATCHED, assignee=7), Action.SIGN)
    assert may(WORKER, event(State.IN_PROGRESS, assignee=7), Action.HANDLE)
    assert may(WORKER, event(State.IN_PROGRESS, assignee=7), Action.RETURN)
