from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("events", views.EventViewSet, basename="event")
router.register("event-categories", views.EventCategoryViewSet, basename="event-category")

urlpatterns = [path("stats/summary/", views.StatsSummaryView.as_view(), name="stats-summary"), *router.urls]
