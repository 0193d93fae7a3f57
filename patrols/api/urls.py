"""The patrols app's REST API (under /api/)."""

urlpatterns: list = []
