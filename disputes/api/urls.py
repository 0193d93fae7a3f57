from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("disputes", views.DisputeViewSet, basename="dispute")
router.register("dispute-types", views.DisputeTypeViewSet, basename="dispute-type")

urlpatterns = router.urls
