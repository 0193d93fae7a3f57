"""WebSocket authentication: the session cookie for pages, a one-time `?ticket=` for other clients.

A ticket comes from POST /api/auth/socket-ticket/ (signed in by session or token), opens one socket
within a minute, and is gone once used (`accounts.services.socket_ticket_redeem`). The long-lived
API token is never accepted in a socket's URL: URLs end up in proxy logs and browser histories."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings


@database_sync_to_async
def _active_user(user_id: int):
    from .models import User

    return User.objects.filter(pk=user_id, is_active=True).first()


class TicketAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from a `ticket` query parameter when one is given. A ticket that is
    unknown, expired or used leaves the scope as it is (the consumer refuses a socket without a
    signed-in user)."""

    async def __call__(self, scope, receive, send):
        from .services import socket_ticket_redeem

        params = parse_qs(scope.get("query_string", b"").decode())
        tickets = params.get("ticket")
        if tickets:
            user_id = await socket_ticket_redeem(tickets[0])
            user = await _active_user(user_id) if user_id is not None else None
            if user is not None:
                scope["user"] = user
        return await super().__call__(scope, receive, send)


def TicketOrSessionAuthMiddlewareStack(inner):  # noqa: N802 (named like Channels' own stacks)
    return AuthMiddlewareStack(TicketAuthMiddleware(inner))


class BrowserOriginValidator(OriginValidator):
    """Refuses a socket whose Origin is not one of ALLOWED_HOSTS (another site's page riding on the
    user's session cookie). Browsers always send an Origin; a client without one is not a page
    (a wall display's player, a script with a ticket) and cannot be hijacked that way, so it passes
    and still has to sign in."""

    def __init__(self, application):
        super().__init__(application, settings.ALLOWED_HOSTS)

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or self.validate_origin(parsed_origin)

    def validate_origin(self, parsed_origin):
        from django.http.request import is_same_domain

        host = parsed_origin.hostname or ""
        return any(is_same_domain(host, pattern.strip("[]")) for pattern in self.allowed_origins)
