"""Pages of the force app (the REST API is in force/api/)."""

from django.urls import path

from . import views

app_name = "force"

urlpatterns = [
    path("join/<str:code>/", views.join, name="join"),
    path("me/", views.me, name="me"),
    path("invitations/", views.invitations, name="invitations"),
    path("rankings/", views.rankings, name="rankings"),
    path("recognize/<int:user_id>/", views.recognize, name="recognize"),
    path("duties/", views.duties, name="duties"),
    path("performance/", views.performance, name="performance"),
]
