"""Dispute pages (the REST API is in disputes/api/)."""

from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new, name="new"),
    path("workbench/", views.workbench, name="workbench"),
    path("stats/", views.stats, name="stats"),
    path("ledger/", views.ledger, name="ledger"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/", views.act, name="act"),
    path("documents/<int:pk>/<str:part>/", views.document_file, name="document"),
]
