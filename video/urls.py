"""Pages of the video app (the REST API is in video/api/, the media server's hooks in video/hook_urls.py)."""

from django.urls import path

from . import views

app_name = "video"

urlpatterns = [
    path("", views.cameras, name="cameras"),
    path("cameras/new/", views.camera_new, name="camera-new"),
    path("cameras/<int:pk>/edit/", views.camera_edit, name="camera-edit"),
    path("wall/", views.wall, name="wall"),
    path("wall/<int:pk>/show/", views.wall_show, name="wall-show"),
    path("wall/<int:pk>/layouts/", views.layout_save, name="layout-save"),
    path("tours/", views.tours, name="tours"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/consent/", views.consent_give, name="consent-give"),
    path("mine/<int:pk>/revoke/", views.consent_revoke, name="consent-revoke"),
]
