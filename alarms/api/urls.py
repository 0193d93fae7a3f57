"""The alarms app's REST API (under /api/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("alarms/", views.AlarmListView.as_view(), name="alarm-list"),
    path("alarms/<str:source>/", views.WebhookView.as_view(), name="alarm-webhook"),
    path("alarm-sources/", views.SourceListView.as_view(), name="alarm-source-list"),
    path("alarm-devices/", views.DeviceListView.as_view(), name="alarm-device-list"),
]
