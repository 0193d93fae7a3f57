"""WebSocket URL routes."""

from django.urls import path

from .live.consumers import DashboardConsumer, InboxConsumer

websocket_urlpatterns = [
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
    path("ws/inbox/", InboxConsumer.as_asgi()),
]
