"""Who may take which action on an event. Plain Python over facts, testable for every role."""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import Role

from ..choices import Action, AssignmentState, State

A = Action
CENTER_ROLES = frozenset({Role.CENTER_STAFF, Role.DUTY_OFFICER, Role.DUTY_LEADER, Role.ADMIN})


@dataclass(frozen=True)
class ActorFacts:
    user_id: int
    role: str
    center_path: str | None
    department_id: int | None
    is_admin: bool = False


@dataclass(frozen=True)
class EventFacts:
    state: str
    center_path: str
    reporter_id: int | None
    assignee_id: int | None  # the grid worker who handles it
    verifier_id: int | None = None  # the grid worker sent to verify on site (a different role)
    # department id -> assignment state, for the active assignments
    departments: dict[int, str] = field(default_factory=dict)


HOLDER_ACTIONS = frozenset(
    {
        A.ACCEPT,
        A.REJECT,
        A.MERGE,
        A.DISPATCH,
        A.ESCALATE,
        A.SUSPEND,
        A.RESUME,
        A.APPROVE_EXTENSION,
        A.REFUSE_EXTENSION,
        A.REOPEN,
        A.SELF_HANDLE,
        A.VERIFY_PASS,
        A.VERIFY_FAIL,
        A.URGE,
    }
)


def is_holder_staff(actor: ActorFacts, event: EventFacts) -> bool:
    """Staff of the center that holds the event (administrators act anywhere)."""
    return actor.is_admin or (actor.role in CENTER_ROLES and actor.center_path == event.center_path)


def is_higher_staff(actor: ActorFacts, event: EventFacts) -> bool:
    """Staff of a center above the holder (supervision comes from above)."""
    if actor.is_admin:
        return True
    return (
        actor.role in CENTER_ROLES
        and actor.center_path is not None
        and event.center_path.startswith(actor.center_path)
        and actor.center_path != event.center_path
    )


def may(actor: ActorFacts, event: EventFacts, action: Action) -> bool:
    """Whether `actor` may take `action` on `event` (the state table is checked separately)."""
    action = Action(action)
    own = event.departments.get(actor.department_id) if actor.role == Role.DEPARTMENT_STAFF else None
    # Handling (sign, handle, return, extension) belongs to the handler; verifying to the verifier.
    is_assignee = event.assignee_id is not None and event.assignee_id == actor.user_id
    is_verifier = event.verifier_id is not None and event.verifier_id == actor.user_id
    if action in (A.REPORT, A.WARN, A.RATE):
        return False  # intake, the escalation engine and the hotline's rating only
    if action == A.SUPERVISE:
        return is_higher_staff(actor, event)
    if action == A.URGE:
        return is_holder_staff(actor, event) or is_higher_staff(actor, event)
    if action == A.SELF_HANDLE and event.state == State.REPORTED and actor.role == Role.GRID_WORKER:
        return event.reporter_id == actor.user_id
    if action in (A.VERIFY_PASS, A.VERIFY_FAIL) and event.state == State.VERIFYING and is_verifier:
        return True
    if action in HOLDER_ACTIONS:
        return is_holder_staff(actor, event)
    if action == A.SIGN:
        return own == AssignmentState.DISPATCHED or (is_assignee and event.state == State.DISPATCHED)
    if action == A.HANDLE:
        return own == AssignmentState.SIGNED or (is_assignee and event.state == State.IN_PROGRESS)
    if action in (A.RETURN, A.REQUEST_EXTENSION):
        return own in (AssignmentState.DISPATCHED, AssignmentState.SIGNED) or (
            is_assignee and event.state in (State.DISPATCHED, State.IN_PROGRESS)
        )
    if action == A.REPLY:
        return own is not None
    if action == A.ATTACH:
        return may_attach(actor, event, own=own, is_assignee=is_assignee, is_verifier=is_verifier)
    return False


def may_attach(actor: ActorFacts, event: EventFacts, *, own: str | None, is_assignee: bool, is_verifier: bool) -> bool:
    """Adding photos is open to whoever may act on the event in its state, no one else: the holding
    center's staff; the reporter while the report waits for acceptance; a department holding an
    active ticket; the grid worker it is dispatched to while handling is theirs; the grid worker
    sent to verify while the check is theirs. Seeing an event (a higher center, a grid worker of the
    grid) is not enough."""
    if is_holder_staff(actor, event):
        return True
    if event.state == State.REPORTED:
        return event.reporter_id is not None and event.reporter_id == actor.user_id
    if own is not None:
        return True
    if is_verifier and event.state == State.VERIFYING:
        return True
    return is_assignee and event.state in (State.DISPATCHED, State.IN_PROGRESS)
