"""Who may invite volunteers and commend them: `may_*` over plain facts (no ORM)."""

from __future__ import annotations

from dataclasses import dataclass, field

CENTER_ROLES = frozenset({"center_staff", "duty_officer", "duty_leader"})


@dataclass(frozen=True)
class ActorFacts:
    role: str
    center_path: str | None
    is_admin: bool = False
    worker_grid_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class InvitationFacts:
    grid_id: int | None
    grid_center_path: str | None  # the grid's community
    organization_center_path: str | None


def _inside(path: str | None, root: str | None) -> bool:
    return bool(path and root and path.startswith(root))


def may_invite(actor: ActorFacts, target: InvitationFacts) -> bool:
    """A grid worker invites to a grid of theirs (with an organization of that grid's area, or
    none); center staff invite to grids and organizations of their subtree; administrators to any.
    An invitation names a grid, an organization or both."""
    if target.grid_id is None and target.organization_center_path is None:
        return False
    if target.grid_id is not None and target.organization_center_path is not None:
        # The organization must work where the grid lies (its center is the grid's community or above).
        if not _inside(target.grid_center_path, target.organization_center_path):
            return False
    if actor.is_admin:
        return True
    if actor.role == "grid_worker":
        return target.grid_id is not None and target.grid_id in actor.worker_grid_ids
    if actor.role in CENTER_ROLES:
        # With a grid, the grid must lie in the actor's subtree (a community invites to its grids
        # even for its town's organization); without one, the organization must.
        if target.grid_id is not None:
            return _inside(target.grid_center_path, actor.center_path)
        return _inside(target.organization_center_path, actor.center_path)
    return False


def may_recognize(actor: ActorFacts, volunteer_center_path: str | None) -> bool:
    """The center of the volunteer's area (or any center above it) commends; administrators too."""
    if actor.is_admin:
        return True
    return actor.role in CENTER_ROLES and _inside(volunteer_center_path, actor.center_path)


def may_see_force_figures(actor: ActorFacts) -> bool:
    """The performance page compares workers and grids: for the centers (their subtree) and administrators."""
    return actor.is_admin or (actor.role in CENTER_ROLES and actor.center_path is not None)
