"""Event pages (the REST API is in events/api/urls.py)."""

from django.urls import path

from . import media, views

app_name = "events"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("report/", views.report, name="report"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/", views.act, name="act"),
    path("photos/<int:pk>/", media.PhotoView.as_view(), name="photo"),
    path("photos/<int:pk>/thumb/", media.ThumbnailView.as_view(), name="photo-thumb"),
]
