"""The dashboard pages (`/dashboard/`, `/dashboard/wall/`) and their HTTP snapshot
(`GET /api/dashboard/snapshot/`). The pages are shells: `static/js/dashboard.js` loads the snapshot,
then follows the WebSocket."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scope import scope_for

from . import serializers
from .snapshot import dashboard_center, snapshot_for

PERIODS = [("today", _("Today")), ("year", _("This year"))]
FIGURES = [
    ("reported", pgettext_lazy("dashboard figure", "Reported")),
    ("open", pgettext_lazy("dashboard figure", "Open")),
    ("overdue", pgettext_lazy("dashboard figure", "Overdue")),
    ("closed", pgettext_lazy("dashboard figure", "Closed")),
    ("closure_rate", pgettext_lazy("dashboard figure", "Closure rate")),
    ("on_time_rate", pgettext_lazy("dashboard figure", "On-time rate")),
    ("escalations", pgettext_lazy("dashboard figure", "Escalations")),
]

# The dispute figures of the board (wenjiang_ops.live.snapshot.dispute_figures).
DISPUTE_FIGURES = [
    ("taken_in", pgettext_lazy("dispute figure", "Taken in today")),
    ("open", pgettext_lazy("dispute figure", "Open")),
    ("overdue", pgettext_lazy("dispute figure", "Overdue")),
    ("alarms", pgettext_lazy("dispute figure", "Alarms")),
    ("success_rate", pgettext_lazy("dispute figure", "Success rate this year")),
]

# The patrol figures of the board (patrols.selectors.patrol_figures).
PATROL_FIGURES = [
    ("active", pgettext_lazy("patrol figure", "Under way")),
    ("today", pgettext_lazy("patrol figure", "Started today")),
    ("coverage", pgettext_lazy("patrol figure", "Coverage this period")),
    ("missed_month", pgettext_lazy("patrol figure", "Missed this month")),
]


class SnapshotView(APIView):
    """A live dashboard's starting point: its figures, the latest changed events, the open events
    for the map and the alarms, with `seq`, the number of the last push of the dashboard's
    WebSocket stream (`/ws/dashboard/?center=`) that it already contains."""

    @extend_schema(
        parameters=[OpenApiParameter("center", int, description="a center in your area (default: your own)")],
        responses={
            200: serializers.DashboardSnapshotSerializer,
            400: OpenApiResponse(description="`center` is not a number"),
            403: OpenApiResponse(description="this role has no dashboard (grid workers, volunteers, mediators)"),
            404: OpenApiResponse(description="no such center in your area"),
        },
    )
    def get(self, request):
        center = dashboard_center(request.user, request.query_params.get("center"))
        response = Response(snapshot_for(request.user, center))
        response["Cache-Control"] = "no-store"
        return response


def _page(request, template: str):
    try:
        center = dashboard_center(request.user, request.GET.get("center"))
    except ValidationError:
        raise Http404(request.GET.get("center")) from None
    home = dashboard_center(request.user)
    # The way back up, as far as the user's own center.
    parent = None
    if center.pk != home.pk and center.parent_id:
        parent = scope_for(request.user).centers().defer("boundary").filter(pk=center.parent_id).first()
    context = {
        "center": center,
        "parent": parent,
        "home_center": home,
        "periods": PERIODS,
        "figures": FIGURES,
        "dispute_figures": DISPUTE_FIGURES,
        "patrol_figures": PATROL_FIGURES,
        "TIME_ZONE": settings.TIME_ZONE,
    }
    return render(request, template, context)


@login_required
def dashboard(request):
    return _page(request, "live/dashboard.html")


@login_required
def wall(request):
    """The command hall's big screen: 1920×1080, dark, no navigation, nothing to scroll."""
    return _page(request, "live/wall.html")
