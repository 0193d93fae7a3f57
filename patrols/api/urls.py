"""The patrols app's REST API (under /api/)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("patrols/plans", views.PlanViewSet, basename="patrol-plan")
router.register("patrols", views.PatrolViewSet, basename="patrol")

urlpatterns = [path("patrols/live/", views.LiveView.as_view(), name="patrols-live"), *router.urls]
