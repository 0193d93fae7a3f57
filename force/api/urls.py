"""The force app's REST API (under /api/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("force/invitations/", views.InvitationListView.as_view(), name="force-invitation-list"),
    path("force/invitations/<int:pk>/revoke/", views.InvitationRevokeView.as_view(), name="force-invitation-revoke"),
    path("force/join/<str:code>/", views.JoinView.as_view(), name="force-join"),
    path("force/points/", views.PointEntryListView.as_view(), name="force-point-list"),
    path("force/me/", views.MeView.as_view(), name="force-me"),
    path("force/rankings/", views.RankingView.as_view(), name="force-ranking"),
    path("force/recognitions/", views.RecognitionListView.as_view(), name="force-recognition-list"),
    path("force/duties/", views.DutyCoverageView.as_view(), name="force-duties"),
    path("force/performance/", views.PerformanceView.as_view(), name="force-performance"),
    path("force/performance.xlsx", views.PerformanceExportView.as_view(), name="force-performance-export"),
]
