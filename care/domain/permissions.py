"""Who may do what to a person's record, over plain facts (no ORM). Seeing the record at all is
decided by accounts.scope (Scope.special_people); these rules come on top of it."""

from __future__ import annotations

from dataclasses import dataclass

from ..choices import Action

CENTER_ROLES = frozenset({"center_staff", "duty_officer", "duty_leader"})


@dataclass(frozen=True)
class ActorFacts:
    role: str
    admin: bool = False
    assigned: bool = False  # an assigned grid worker of the person
    team: bool = False  # a helping-team member who is a user
    department: bool = False  # staff of the person's responsible department, in its area
    authorised: bool = False  # a center role holding care.view_special_people, in its area


def may(actor: ActorFacts, action: str) -> bool:
    """Whether the actor may take `action` on a person they can see.

    The people around the person (assigned workers, the helping team) record visits and raise or
    clear lost contact; changing the risk level, the assignments or ending the care are decisions
    of the responsible department and of authorised center staff."""
    if actor.admin:
        return True
    near = actor.assigned or actor.team or actor.department or actor.authorised
    if action in (Action.VISIT, Action.CORRECT, Action.LOST_CONTACT, Action.FOUND):
        return near and actor.role != "volunteer"
    if action in (Action.RISK, Action.ASSIGN, Action.END, Action.CREATE):
        return actor.department or actor.authorised
    return False
