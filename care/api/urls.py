"""The care app's REST API (under /api/)."""

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("special-people", views.PersonViewSet, basename="special-person")
router.register("care-view-log", views.ViewLogViewSet, basename="care-view-log")
router.register("care-rules", views.VisitRuleViewSet, basename="care-rule")

urlpatterns = router.urls
