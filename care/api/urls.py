"""The care app's REST API (under /api/)."""

urlpatterns: list = []
