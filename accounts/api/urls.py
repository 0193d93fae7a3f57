from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    *router.urls,
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/logout/", views.LogoutView.as_view(), name="api-logout"),
    path("auth/socket-ticket/", views.SocketTicketView.as_view(), name="api-socket-ticket"),
    path("me/", views.MeView.as_view(), name="api-me"),
]
