"""Who may take which action on a dispute. Plain Python over facts, testable for every role.

- The holding center's staff triage (accept, refer, escalate), name mediators, and may do what a
  mediator does (a center's staff often mediate at the window).
- A mediator named on the case (active) mediates: sessions, records, outcome, documents,
  follow-ups, confirmation. A mediator of the holding center who is not named may accept the case
  (and so name themselves) but not act on someone else's case.
- A higher center's staff urge; they see the case (disputes.selectors) but do not act on it.
- The grid worker who took the case in may add to it (files, an investigation record) while it
  waits for triage, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Role

from ..choices import Action, State

A = Action
CENTER_ROLES = frozenset({Role.CENTER_STAFF, Role.DUTY_OFFICER, Role.DUTY_LEADER, Role.ADMIN})


@dataclass(frozen=True)
class ActorFacts:
    user_id: int
    role: str
    center_path: str | None
    is_admin: bool = False


@dataclass(frozen=True)
class DisputeFacts:
    state: str
    center_path: str
    reporter_id: int | None
    mediator_ids: frozenset[int] = frozenset()


# Triage and the case's management: the holding center.
HOLDER_ACTIONS = frozenset({A.ACCEPT, A.REFER, A.ESCALATE, A.ASSIGN, A.RISK, A.LINK, A.CLOSE})
# The mediation itself: a named mediator (or the holding center's staff).
MEDIATOR_ACTIONS = frozenset(
    {
        A.REFUSE,
        A.EXTEND,
        A.SUSPEND,
        A.RESUME,
        A.SESSION,
        A.INVESTIGATE,
        A.AGREE,
        A.TERMINATE,
        A.WITHDRAW,
        A.DOCUMENT,
        A.FOLLOW_UP,
        A.PERFORM,
        A.BREACH,
        A.CONFIRM,
        A.ATTACH,
        A.RISK,
        A.CLOSE,
    }
)


def is_holder_staff(actor: ActorFacts, case: DisputeFacts) -> bool:
    """Staff of the center that holds the case (administrators act anywhere)."""
    return actor.is_admin or (actor.role in CENTER_ROLES and actor.center_path == case.center_path)


def is_higher_staff(actor: ActorFacts, case: DisputeFacts) -> bool:
    if actor.is_admin:
        return True
    return (
        actor.role in CENTER_ROLES
        and actor.center_path is not None
        and case.center_path.startswith(actor.center_path)
        and actor.center_path != case.center_path
    )


def is_named_mediator(actor: ActorFacts, case: DisputeFacts) -> bool:
    return actor.user_id in case.mediator_ids


def is_holder_mediator(actor: ActorFacts, case: DisputeFacts) -> bool:
    """A mediator of the committee at the holding center."""
    return actor.role == Role.MEDIATOR and actor.center_path == case.center_path


def may(actor: ActorFacts, case: DisputeFacts, action: Action) -> bool:
    """Whether `actor` may take `action` on the case (the state table is checked separately)."""
    action = Action(action)
    if action in (A.REPORT, A.WARN, A.ALARM):
        return False  # intake and the clocks only
    if action == A.URGE:
        return is_higher_staff(actor, case)
    if is_holder_staff(actor, case):
        return action in HOLDER_ACTIONS or action in MEDIATOR_ACTIONS
    if action == A.ACCEPT:
        return is_holder_mediator(actor, case)
    if action in MEDIATOR_ACTIONS and is_named_mediator(actor, case):
        return True
    if action in (A.ATTACH, A.INVESTIGATE) and case.state == State.RECEIVED:
        return case.reporter_id is not None and case.reporter_id == actor.user_id
    return False
