from django.urls import path

from . import views

app_name = "live"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/wall/", views.wall, name="wall"),
]

api_urlpatterns = [
    path("dashboard/snapshot/", views.SnapshotView.as_view(), name="dashboard-snapshot"),
]
