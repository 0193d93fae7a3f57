"""Who may do what to a patrol or a plan, over plain facts. No database.

Only the patroller writes to their patrol; the centers of its area read it (accounts.scope decides
reading). Starting a patrol on a plan needs to be one of its assigned people; any grid worker or
volunteer may walk a free patrol. Plans are made by center staff of their area."""

from __future__ import annotations

from dataclasses import dataclass

PATROLLER_ROLES = frozenset({"grid_worker", "volunteer"})
PLANNER_ROLES = frozenset({"center_staff", "duty_officer", "duty_leader", "admin"})

START, TRACK, CHECK_IN, REPORT, END, CANCEL = "start", "track", "check_in", "report", "end", "cancel"
ACTIONS = (START, TRACK, CHECK_IN, REPORT, END, CANCEL)


@dataclass(frozen=True)
class Facts:
    role: str
    superuser: bool = False
    own_patrol: bool = False  # the patrol is the actor's
    active: bool = False  # the patrol is active
    assigned: bool = False  # the actor is assigned to the plan (START on a plan)
    on_plan: bool = False  # START: on a plan (else a free patrol)


def may(action: str, facts: Facts) -> bool:
    """Whether the actor may take `action` (the state part is `allowed_in_state`)."""
    if action == START:
        if facts.role not in PATROLLER_ROLES:
            return False
        return facts.assigned or not facts.on_plan
    if action not in ACTIONS:
        return False
    return facts.own_patrol


def allowed_in_state(action: str, active: bool) -> bool:
    """Everything but starting needs the patrol to be active (409 otherwise)."""
    return action == START or active


def may_plan(role: str, superuser: bool = False) -> bool:
    return superuser or role in PLANNER_ROLES
