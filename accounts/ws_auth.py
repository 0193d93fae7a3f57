"""WebSocket authentication: the session cookie for pages, `?token=` for other clients."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings


@database_sync_to_async
def _user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    try:
        token = Token.objects.select_related("user").get(key=key)
    except Token.DoesNotExist:
        return None
    return token.user if token.user.is_active else None


class TokenAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from a `token` query parameter when one is given."""

    async def __call__(self, scope, receive, send):
        params = parse_qs(scope.get("query_string", b"").decode())
        keys = params.get("token")
        if keys:
            user = await _user_for_token(keys[0])
            if user is not None:
                scope["user"] = user
        return await super().__call__(scope, receive, send)


def TokenOrSessionAuthMiddlewareStack(inner):  # noqa: N802 (named like Channels' own stacks)
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


class BrowserOriginValidator(OriginValidator):
    """Refuses a socket whose Origin is not one of ALLOWED_HOSTS (another site's page riding on the
    user's session cookie). Browsers always send an Origin; a client without one is not a page
    (a wall display's player, a script with a token) and cannot be hijacked that way, so it passes
    and still has to sign in."""

    def __init__(self, application):
        super().__init__(application, settings.ALLOWED_HOSTS)

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or self.validate_origin(parsed_origin)

    def validate_origin(self, parsed_origin):
        from django.http.request import is_same_domain

        host = parsed_origin.hostname or ""
        return any(is_same_domain(host, pattern.strip("[]")) for pattern in self.allowed_origins)
