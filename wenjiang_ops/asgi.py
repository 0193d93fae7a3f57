"""ASGI entry point: WebSockets under /ws/ (uvicorn in production); HTTP is served too.

The WebSocket routes are collected in `wenjiang_ops.routing`; consumers authenticate
with the session cookie (pages) or a one-time `?ticket=` (other clients).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenjiang_ops.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.ws_auth import BrowserOriginValidator, TicketOrSessionAuthMiddlewareStack  # noqa: E402
from wenjiang_ops.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(TicketOrSessionAuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
