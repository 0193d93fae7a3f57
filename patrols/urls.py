"""Pages of the patrols app (the REST API is in patrols/api/)."""

from django.urls import path  # noqa: F401

app_name = "patrols"

urlpatterns: list = []
