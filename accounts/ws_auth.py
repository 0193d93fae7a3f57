"""WebSocket authentication: the session cookie for pages, `?token=` for other clients."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware


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
