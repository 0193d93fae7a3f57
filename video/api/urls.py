"""The video app's REST API (under /api/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("cameras/", views.CameraListView.as_view(), name="video-camera-list"),
    path("cameras/nearest/", views.NearestView.as_view(), name="video-camera-nearest"),
    path("cameras/online-rate/", views.OnlineRateView.as_view(), name="video-camera-online-rate"),
    path("cameras/import/", views.ImportView.as_view(), name="video-camera-import"),
    path("cameras/<int:pk>/", views.CameraDetailView.as_view(), name="video-camera-detail"),
    path("cameras/<int:pk>/history/", views.CameraHistoryView.as_view(), name="video-camera-history"),
    path("cameras/<int:pk>/play/", views.PlayView.as_view(), name="video-camera-play"),
    path("cameras/<int:pk>/consent/", views.ConsentView.as_view(), name="video-camera-consent"),
    path("my-cameras/", views.MyCamerasView.as_view(), name="video-my-cameras"),
    path("my-cameras/viewings/", views.MyViewingsView.as_view(), name="video-my-viewings"),
    path("viewings/", views.ViewingListView.as_view(), name="video-viewing-list"),
    path("viewings/<str:pk>/heartbeat/", views.HeartbeatView.as_view(), name="video-viewing-heartbeat"),
    path("viewings/<str:pk>/end/", views.EndView.as_view(), name="video-viewing-end"),
    path("walls/", views.WallListView.as_view(), name="video-wall-list"),
    path("walls/<int:pk>/", views.WallDetailView.as_view(), name="video-wall-detail"),
    path("walls/<int:pk>/layouts/", views.WallLayoutView.as_view(), name="video-wall-layouts"),
    path("walls/<int:pk>/show/", views.WallShowView.as_view(), name="video-wall-show"),
    path("tours/", views.TourListView.as_view(), name="video-tour-list"),
    path("tours/<int:pk>/", views.TourDetailView.as_view(), name="video-tour-detail"),
    path("camera-groups/", views.GroupListView.as_view(), name="video-group-list"),
    path("snapshots/", views.SnapshotView.as_view(), name="video-snapshot-create"),
    path("snapshots/<int:pk>/image/", views.SnapshotImageView.as_view(), name="video-snapshot-image"),
]
