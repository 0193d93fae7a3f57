from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("centers", views.CenterViewSet, basename="center")
router.register("grids", views.GridViewSet, basename="grid")
router.register("places", views.PlaceViewSet, basename="place")
router.register("departments", views.DepartmentViewSet, basename="department")

urlpatterns = router.urls
