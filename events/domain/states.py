"""The event workflow: which action moves which state where. The whole table, in one screen.

Escalation, supervision, urges, extensions and replies do not change the state: they are
listed as self-transitions so that the table alone says where each action is allowed.
"""

from __future__ import annotations

from ..choices import Action, Phase, State

S, A = State, Action

OPEN_STATES = frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.VERIFYING, S.SELF_HANDLED})
FINAL_STATES = frozenset({S.CLOSED, S.REJECTED, S.MERGED})

TRANSITIONS: dict[tuple[State, Action], State] = {
    # Acceptance at the holding center.
    (S.REPORTED, A.ACCEPT): S.ACCEPTED,
    (S.REPORTED, A.REJECT): S.REJECTED,
    (S.REPORTED, A.MERGE): S.MERGED,
    (S.ACCEPTED, A.MERGE): S.MERGED,
    # Handled on the spot (即报即办): by the reporting grid worker, or by the center itself.
    (S.REPORTED, A.SELF_HANDLE): S.SELF_HANDLED,
    (S.ACCEPTED, A.SELF_HANDLE): S.SELF_HANDLED,
    # Dispatch to departments (lead + assisting) or to a grid worker; sign-off and handling.
    (S.ACCEPTED, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.SIGN): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.SIGN): S.IN_PROGRESS,  # an assisting department signs after the lead
    (S.DISPATCHED, A.RETURN): S.ACCEPTED,
    (S.IN_PROGRESS, A.RETURN): S.ACCEPTED,
    (S.IN_PROGRESS, A.HANDLE): S.HANDLED,  # stays in progress until the lead and all assisting are done
    # Verification (核查): by the center, or dispatched to a grid worker to check on site.
    (S.HANDLED, A.DISPATCH): S.VERIFYING,
    (S.HANDLED, A.VERIFY_PASS): S.CLOSED,
    (S.VERIFYING, A.VERIFY_PASS): S.CLOSED,
    (S.SELF_HANDLED, A.VERIFY_PASS): S.CLOSED,
    (S.HANDLED, A.VERIFY_FAIL): S.IN_PROGRESS,  # rework (返工)
    (S.VERIFYING, A.VERIFY_FAIL): S.IN_PROGRESS,
    (S.SELF_HANDLED, A.VERIFY_FAIL): S.ACCEPTED,
    (S.CLOSED, A.REOPEN): S.ACCEPTED,
    # Approved pauses: resume returns to the state before the suspension (see resume_state).
    (S.ACCEPTED, A.SUSPEND): S.SUSPENDED,
    (S.DISPATCHED, A.SUSPEND): S.SUSPENDED,
    (S.IN_PROGRESS, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.RESUME): S.SUSPENDED,  # placeholder target: resume_state() decides
}

# Orthogonal actions: allowed in these states, the state does not change.
_FLAG_ACTIONS: dict[Action, frozenset[State]] = {
    A.ESCALATE: frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS}),
    A.WARN: frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.VERIFYING, S.SELF_HANDLED}),
    A.URGE: frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.VERIFYING}),
    A.SUPERVISE: frozenset({S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS}),
    A.REPLY: frozenset({S.DISPATCHED, S.IN_PROGRESS, S.HANDLED}),
    A.REQUEST_EXTENSION: frozenset({S.DISPATCHED, S.IN_PROGRESS}),
    A.APPROVE_EXTENSION: frozenset({S.DISPATCHED, S.IN_PROGRESS}),
    A.REFUSE_EXTENSION: frozenset({S.DISPATCHED, S.IN_PROGRESS}),
    # Photos are a step of the timeline too: while the event is open (suspended included), never once final.
    A.ATTACH: OPEN_STATES | {S.SUSPENDED},
    # The citizen's own rating, given to the 12345 hotline after the closure (services.event_rate).
    A.RATE: frozenset({S.CLOSED}),
}
for _action, _states in _FLAG_ACTIONS.items():
    for _state in _states:
        TRANSITIONS[(_state, _action)] = _state

# The phase whose clock runs in each state (None: no clock).
PHASE_OF_STATE: dict[State, Phase | None] = {
    S.REPORTED: Phase.ACCEPT,
    S.ACCEPTED: Phase.ACCEPT,
    S.DISPATCHED: Phase.SIGN,
    S.IN_PROGRESS: Phase.HANDLE,
    S.HANDLED: Phase.VERIFY,
    S.VERIFYING: Phase.VERIFY,
    S.SELF_HANDLED: Phase.VERIFY,
    S.CLOSED: None,
    S.REJECTED: None,
    S.MERGED: None,
    S.SUSPENDED: None,
}


class IllegalTransition(Exception):
    """The action is not allowed in the event's current state (answered 409)."""

    def __init__(self, state: State, action: Action, message: str = ""):
        self.state, self.action, self.message = State(state), Action(action), message
        super().__init__(message or f"{self.action.value} is not allowed in state {self.state.value}")


def next_state(state: State, action: Action) -> State:
    """The state after `action`, or IllegalTransition."""
    try:
        return TRANSITIONS[(State(state), Action(action))]
    except KeyError:
        raise IllegalTransition(state, action) from None


def allowed_actions(state: State) -> list[Action]:
    """Every action the table allows in `state` (before permissions), in declaration order."""
    return [a for a in Action if (State(state), a) in TRANSITIONS]


def is_open(state: State) -> bool:
    return State(state) in OPEN_STATES or State(state) == S.SUSPENDED


def after_sign(state: State, *, lead_signed: bool) -> State:
    """Signing starts the handling only when the lead (or the assigned grid worker) signs."""
    target = next_state(state, Action.SIGN)
    return target if lead_signed else State(state)


def after_handle(state: State, *, all_done: bool) -> State:
    """Joint handling is handled only when the lead and every assisting department are done."""
    target = next_state(state, Action.HANDLE)
    return target if all_done else State(state)


def after_return(state: State, *, lead_returned: bool) -> State:
    """A lead's return sends the event back to the center; an assisting one's only drops out."""
    target = next_state(state, Action.RETURN)
    return target if lead_returned else State(state)


def resume_state(state: State, *, suspended_from: State) -> State:
    next_state(state, Action.RESUME)
    return State(suspended_from)
