"""Pages of the care app (the REST API is in care/api/)."""

from django.urls import path  # noqa: F401

app_name = "care"

urlpatterns: list = []
