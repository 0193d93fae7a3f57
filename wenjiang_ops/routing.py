"""WebSocket URL routes. The dashboard consumer (/ws/dashboard/) is added by the live-dashboard work."""

websocket_urlpatterns: list = []
