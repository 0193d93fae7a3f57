"""Pages of the force app (the REST API is in force/api/)."""

from django.urls import path  # noqa: F401

app_name = "force"

urlpatterns: list = []
