"""Writes of the accounts app: API tokens, socket tickets, and what follows a change of a user's
credentials or place (tokens revoked, open sockets closed)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ApiToken, User

log = logging.getLogger(__name__)

# Fields whose change must end what a user has open: a new password or a deactivation ends every
# credential; a move (role, center, department) changes what the user may see, so open sockets,
# which joined their groups under the old place, are closed and must reconnect.
CREDENTIAL_FIELDS = frozenset({"password", "is_active"})
PLACE_FIELDS = frozenset({"role", "center_id", "department_id", "is_superuser"})


def token_digest(key: str) -> str:
    """The stored form of an API key (and of a socket ticket)."""
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(*, user: User, client: str = "") -> str:
    """Issues a new API key for `user` and returns it; only its digest is kept. The user's expired
    tokens are removed on the way (they can no longer sign anything in)."""
    now = timezone.now()
    key = secrets.token_urlsafe(32)
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    ApiToken.objects.create(
        digest=token_digest(key),
        user=user,
        client=client[:200],
        created_at=now,
        expires_at=now + timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS),
    )
    return key


def token_revoke(*, key: str) -> bool:
    """Revokes one API key (sign-out); whether it existed."""
    deleted, _ = ApiToken.objects.filter(digest=token_digest(key)).delete()
    return bool(deleted)


def token_revoke_all(*, user_id: int) -> int:
    """Revokes every API key of a user (password changed, account deactivated); how many."""
    deleted, _ = ApiToken.objects.filter(user_id=user_id).delete()
    return deleted


def _ticket_key(digest: str) -> str:
    from wenjiang_ops.live import groups

    return f"{groups.layer_prefix()}:ws-ticket:{digest}"


def socket_ticket_issue(*, user: User) -> str:
    """A one-time ticket that opens one socket as `user` within SOCKET_TICKET_SECONDS. It lives in
    the channel layer's Redis (the sockets' own), under its digest; the socket takes it with GETDEL,
    so two connections racing with the same ticket cannot both win."""
    from wenjiang_ops.live.publish import redis_client

    ticket = secrets.token_urlsafe(32)
    redis_client().set(_ticket_key(token_digest(ticket)), user.pk, ex=settings.SOCKET_TICKET_SECONDS)
    return ticket


async def socket_ticket_redeem(ticket: str) -> int | None:
    """The user id a ticket was issued to, or None (unknown, expired or already used). Consumes it."""
    from wenjiang_ops.live.consumers import async_redis

    value = await async_redis().getdel(_ticket_key(token_digest(ticket)))
    return int(value) if value is not None else None


def user_sockets_close(*, user_id: int, reason: str) -> None:
    """Closes every socket of a user, in every ASGI process, after the current transaction commits
    (with code `live.consumers.CLOSE_SIGNED_OUT`).
    A client whose credentials still hold (another tab's session, a token) reconnects and is
    re-authorised under the user's new place; one whose credentials ended cannot."""
    transaction.on_commit(lambda: _publish_close(user_id, reason), robust=True)


def _publish_close(user_id: int, reason: str) -> None:
    import msgpack

    from wenjiang_ops.live import groups
    from wenjiang_ops.live.publish import redis_client

    # The layer's own wire format on the user's group channel (what group_send would publish),
    # sent over the process's long-lived connection instead of a new one per call.
    message = msgpack.packb({"type": "force.close", "reason": reason})
    redis_client().publish(groups.group_channel(groups.user_group(user_id)), message)


def user_changed(*, user: User, changed: set[str]) -> None:
    """What follows a saved change of a user's fields: a new password or a deactivation revokes every
    API token; that, or a move, closes the user's open sockets."""
    if "password" in changed or ("is_active" in changed and not user.is_active):
        token_revoke_all(user_id=user.pk)
    if changed & (CREDENTIAL_FIELDS | PLACE_FIELDS):
        user_sockets_close(user_id=user.pk, reason="changed")


def token_sign_out(*, user: User, key: str | None, everywhere: bool = False) -> int:
    """An API sign-out: revokes the presented key (or, `everywhere`, every key of the user: a lost
    phone) and closes the user's sockets; how many keys were revoked."""
    if everywhere:
        revoked = token_revoke_all(user_id=user.pk)
    else:
        revoked = int(token_revoke(key=key)) if key else 0
    user_signed_out(user=user)
    return revoked


def user_signed_out(*, user: User) -> None:
    """A session sign-out: the user's sockets close (those still signed in elsewhere reconnect)."""
    user_sockets_close(user_id=user.pk, reason="signed_out")
