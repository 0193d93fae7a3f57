"""WebSocket URL routes."""

from django.urls import path

from .live.consumers import DashboardConsumer

websocket_urlpatterns = [
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
]
