"""The force app's REST API (under /api/)."""

urlpatterns: list = []
