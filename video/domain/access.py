"""Who may watch a camera, for what, now: `may_watch` over plain facts (no ORM).

The order of the checks is the order of the answers a user gets: a purpose first, then what the
purpose itself needs (an event for an alarm, a reason for an investigation), then the camera's
visibility (the caller computes `in_scope` through accounts.scope), then — for a household camera —
the household's consent for the viewer's center and this purpose, then the camera's state.
The owner of a household camera watches it with the purpose "own" only, and needs nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..choices import CONSENT_PURPOSES, CameraStatus, Network, Purpose

REASON_MIN = 4


@dataclass(frozen=True)
class CameraFacts:
    network: str
    status: str
    owner_id: int | None = None  # a household owner's user id
    household: bool = False  # owned by a household (慧眼, or any camera with a household owner)


@dataclass(frozen=True)
class ConsentFacts:
    center_ids: frozenset[int]
    purposes: frozenset[str]
    revoked: bool = False
    expires_at: datetime | None = None

    def allows(self, *, center_id: int | None, purpose: str, now: datetime) -> bool:
        return (
            not self.revoked
            and (self.expires_at is None or self.expires_at > now)
            and center_id is not None
            and center_id in self.center_ids
            and purpose in self.purposes
        )


@dataclass(frozen=True)
class ViewerFacts:
    user_id: int
    center_id: int | None
    in_scope: bool  # the camera is in what accounts.scope lets this user watch


@dataclass(frozen=True)
class Refusal:
    """Why a play is refused: `problem` is a stable key, `status` the HTTP answer."""

    problem: str
    status: int


NO_PURPOSE = Refusal("purpose", 400)
NEEDS_EVENT = Refusal("needs_event", 400)
NEEDS_REASON = Refusal("needs_reason", 400)
NOT_OWNER = Refusal("not_owner", 403)
NOT_VISIBLE = Refusal("not_visible", 404)
NO_CONSENT = Refusal("no_consent", 403)
OFFLINE = Refusal("offline", 409)


def needs_consent(camera: CameraFacts) -> bool:
    return camera.household or camera.network == Network.HUIYAN


def may_watch(
    *,
    camera: CameraFacts,
    viewer: ViewerFacts,
    purpose: str,
    now: datetime,
    consent: ConsentFacts | None = None,
    has_event: bool = False,
    reason: str = "",
) -> Refusal | None:
    """None when the viewer may watch the camera for `purpose` now, else the Refusal."""
    if purpose not in Purpose.values:
        return NO_PURPOSE
    if purpose == Purpose.OWN:
        if camera.owner_id is None or camera.owner_id != viewer.user_id:
            return NOT_OWNER
        return OFFLINE if camera.status == CameraStatus.OFFLINE else None
    if purpose == Purpose.ALARM and not has_event:
        return NEEDS_EVENT
    if purpose == Purpose.INVESTIGATION and len(reason.strip()) < REASON_MIN:
        return NEEDS_REASON
    if not viewer.in_scope:
        return NOT_VISIBLE
    if needs_consent(camera):
        if consent is None or not consent.allows(center_id=viewer.center_id, purpose=purpose, now=now):
            return NO_CONSENT
    if camera.status == CameraStatus.OFFLINE:
        return OFFLINE
    return None


def consent_check(
    *, center_ids: set[int], purposes: set[str], expires_at: datetime | None, now: datetime
) -> str | None:
    """A reason (a short key) why a consent as given cannot stand, or None."""
    if not purposes:
        return "no_purpose"
    if not purposes <= set(CONSENT_PURPOSES):
        return "bad_purpose"
    if not center_ids:
        return "no_center"
    if expires_at is not None and expires_at <= now:
        return "expired"
    return None
