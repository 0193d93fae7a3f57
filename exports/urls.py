from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("start/", views.start, name="start"),
    path("<int:pk>/", views.job, name="job"),
    path("<int:pk>/download/", views.download, name="download"),
]
