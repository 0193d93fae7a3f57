"""Whether an invitation can still be used (plain facts, no ORM)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class InvitationState:
    expires_at: datetime
    uses_left: int
    revoked: bool


def invitation_problem(state: InvitationState, now: datetime) -> str | None:
    """None if the invitation can be used now, else why not: "revoked", "expired" or "used"."""
    if state.revoked:
        return "revoked"
    if now >= state.expires_at:
        return "expired"
    if state.uses_left <= 0:
        return "used"
    return None
