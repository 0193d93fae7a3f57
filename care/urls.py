"""Pages of the care app (the REST API is in care/api/)."""

from django.urls import path

from . import views

app_name = "care"

urlpatterns = [
    path("", views.people, name="people"),
    path("mine/", views.mine, name="mine"),
    path("import/", views.import_page, name="import"),
    path("export.xlsx", views.export, name="export"),
    path("views/", views.view_log, name="view-log"),
    path("photos/<int:pk>/", views.PhotoView.as_view(), name="photo"),
    path("photos/<int:pk>/thumb/", views.PhotoView.as_view(thumbnail=True), name="photo-thumb"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/visit/", views.visit, name="visit"),
    path("<int:pk>/action/", views.action, name="action"),
]
