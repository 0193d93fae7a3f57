"""The dispute workflow: which action moves which state where. The whole table, in one screen.

    received ──accept──▶ mediating ──agree──▶ agreed ──close──▶ closed
       │  └─refer──▶ referred     │  ├─terminate/refuse──▶ failed     │ └─breach──▶ mediating (re-mediation)
       └─withdraw──▶ withdrawn    │  ├─withdraw──▶ withdrawn          └─terminate──▶ failed (guided to court)
                                  └─suspend──▶ suspended ──resume──▶ mediating

Escalation, sessions, records, documents, follow-ups, urges and the rest do not change the state:
they are listed as self-transitions, so the table alone says where each action is allowed.
"""

from __future__ import annotations

from ..choices import Action, Phase, State

S, A = State, Action

OPEN_STATES = frozenset({S.RECEIVED, S.MEDIATING, S.SUSPENDED, S.AGREED})
FINAL_STATES = frozenset({S.CLOSED, S.FAILED, S.WITHDRAWN, S.REFERRED})
# Concluded: the mediation has an outcome (the agreement stage included).
CONCLUDED_STATES = frozenset({S.AGREED, S.CLOSED, S.FAILED, S.WITHDRAWN, S.REFERRED})

TRANSITIONS: dict[tuple[State, Action], State] = {
    # Triage at the holding center.
    (S.RECEIVED, A.ACCEPT): S.MEDIATING,
    (S.RECEIVED, A.REFER): S.REFERRED,
    (S.RECEIVED, A.REFUSE): S.FAILED,  # 人民调解法 art. 17: a party refuses, people's mediation ends
    (S.RECEIVED, A.WITHDRAW): S.WITHDRAWN,
    # Mediation.
    (S.MEDIATING, A.AGREE): S.AGREED,
    (S.MEDIATING, A.TERMINATE): S.FAILED,
    (S.MEDIATING, A.REFUSE): S.FAILED,
    (S.MEDIATING, A.WITHDRAW): S.WITHDRAWN,
    (S.MEDIATING, A.REFER): S.REFERRED,
    (S.MEDIATING, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.RESUME): S.MEDIATING,
    (S.SUSPENDED, A.WITHDRAW): S.WITHDRAWN,
    (S.SUSPENDED, A.TERMINATE): S.FAILED,
    # After the agreement: performed and closed, or breached and mediated again (or guided to court).
    (S.AGREED, A.CLOSE): S.CLOSED,
    (S.AGREED, A.BREACH): S.MEDIATING,
    (S.AGREED, A.TERMINATE): S.FAILED,
}

_FLAG_ACTIONS: dict[Action, frozenset[State]] = {
    A.ESCALATE: frozenset({S.RECEIVED, S.MEDIATING}),
    A.ASSIGN: frozenset({S.MEDIATING, S.SUSPENDED, S.AGREED}),
    A.EXTEND: frozenset({S.MEDIATING}),
    A.SESSION: frozenset({S.MEDIATING, S.AGREED}),
    A.INVESTIGATE: frozenset({S.RECEIVED, S.MEDIATING, S.SUSPENDED}),
    A.DOCUMENT: frozenset({S.MEDIATING, S.AGREED, S.CLOSED}),
    A.FOLLOW_UP: frozenset({S.AGREED, S.CLOSED}),
    A.PERFORM: frozenset({S.AGREED}),
    A.CONFIRM: frozenset({S.AGREED, S.CLOSED}),
    A.RISK: OPEN_STATES,
    A.URGE: frozenset({S.RECEIVED, S.MEDIATING, S.AGREED}),
    A.WARN: frozenset({S.RECEIVED, S.MEDIATING, S.AGREED, S.CLOSED}),  # closed: a follow-up visit's reminder
    A.ALARM: OPEN_STATES,
    A.LINK: OPEN_STATES,
    A.ATTACH: OPEN_STATES,
}
for _action, _states in _FLAG_ACTIONS.items():
    for _state in _states:
        TRANSITIONS.setdefault((_state, _action), _state)

# The escalating clock that runs in each state (None: none; after the agreement the reminders run).
PHASE_OF_STATE: dict[State, Phase | None] = {
    S.RECEIVED: Phase.ACCEPT,
    S.MEDIATING: Phase.MEDIATE,
    S.SUSPENDED: None,
    S.AGREED: None,
    S.CLOSED: None,
    S.FAILED: None,
    S.WITHDRAWN: None,
    S.REFERRED: None,
}


class IllegalTransition(Exception):
    """The action is not allowed in the case's current state (answered 409)."""

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
    return State(state) in OPEN_STATES
