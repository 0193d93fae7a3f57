"""Pages of the patrols app (the REST API is in patrols/api/)."""

from django.urls import path

from . import views

app_name = "patrols"

urlpatterns = [
    path("", views.phone, name="phone"),
    path("monitor/", views.monitor, name="monitor"),
    path("qr/<str:token>/", views.qr, name="qr"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/qr/", views.plan_qr_sheet, name="plan-qr"),
    path("places/import/", views.place_import, name="place-import"),
    path("<int:pk>/", views.replay, name="replay"),
]
