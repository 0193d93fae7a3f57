from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from interop import urls as interop_urls

from . import views
from .live import urls as live_urls

api_patterns = [
    # First: the alarm webhook is the hottest path (machines post alarms many times a second), and
    # resolving a URL walks the patterns in order (2.5 ms under load behind the routers below).
    # Then the events: every screen's list and every phone's report.
    path("", include("alarms.api.urls")),
    path("", include("events.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("inbox.api.urls")),
    path("", include("exports.api.urls")),
    path("", include("grids.api.urls")),
    path("", include("disputes.api.urls")),
    path("", include("patrols.api.urls")),
    path("", include("care.api.urls")),
    path("", include("force.api.urls")),
    path("", include("video.api.urls")),
    path("", include(interop_urls.hotline_urlpatterns)),
    path("", include(live_urls.api_urlpatterns)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # A page: signed-out visitors go to the login page. The split view serves its init script as a
    # file (no inline script under the Content-Security-Policy).
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")),
        name="api-docs",
    ),
]

urlpatterns = [
    path("api/", include(api_patterns)),  # first, for the same reason: one pattern for every page to pass
    path("", views.home, name="home"),
    path("map/", views.map_page, name="map"),
    path("", include("inbox.urls")),
    path("exports/", include("exports.urls")),
    path("events/", include("events.urls")),
    path("disputes/", include("disputes.urls")),
    path("patrols/", include("patrols.urls")),
    path("care/", include("care.urls")),
    path("force/", include("force.urls")),
    path("video/hooks/", include("video.hook_urls")),
    path("video/", include("video.urls")),
    path("", include(live_urls)),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("open311/v2/", include("interop.urls")),
    path("admin/", admin.site.urls),
]
# No static(MEDIA_URL): uploaded photos are served only by events.media, to whoever may see them.

handler404 = "wenjiang_ops.api.not_found"  # JSON under /api/
