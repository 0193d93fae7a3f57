from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("disputes", views.DisputeViewSet, basename="dispute")
router.register("dispute-types", views.DisputeTypeViewSet, basename="dispute-type")

urlpatterns = [
    path("stats/disputes/", views.DisputeStatsView.as_view(), name="dispute-stats"),
    path("stats/disputes/quarterly.xlsx", views.DisputeQuarterlyView.as_view(), name="dispute-quarterly"),
    *router.urls,
]
