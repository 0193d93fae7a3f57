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
# Each figure with the tooltip that says what it counts (events.selectors: the one definition).
FIGURES = [
    ("reported", pgettext_lazy("dashboard figure", "Reported"), _("Events reported in the period.")),
    ("open", pgettext_lazy("dashboard figure", "Open"), _("Events not yet closed (rejected and merged ones aside).")),
    (
        "overdue",
        pgettext_lazy("dashboard figure", "Overdue"),
        _("Due events closed after their deadline or still open past it."),
    ),
    ("closed", pgettext_lazy("dashboard figure", "Closed"), _("Events closed in the period.")),
    (
        "closure_rate",
        pgettext_lazy("dashboard figure", "Closure rate"),
        _(
            "Closed ÷ due. Due: the events whose deadline has come in the period — so far, while the period "
            "runs; those due later today are not counted yet — plus those closed in it."
        ),
    ),
    (
        "on_time_rate",
        pgettext_lazy("dashboard figure", "On-time rate"),
        _("Closed by their deadline (extensions included) ÷ due, as for the closure rate."),
    ),
    ("escalations", pgettext_lazy("dashboard figure", "Escalations"), _("Steps up to a higher center in the period.")),
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


# The care figures of the board (care.selectors.care_figures): counts only, no person named.
CARE_FIGURES = [
    ("in_care", pgettext_lazy("care figure", "In care")),
    ("overdue", pgettext_lazy("care figure", "Visits overdue")),
    ("lost", pgettext_lazy("care figure", "Lost contact")),
]


# The networks of the board's video panel, short (wenjiang_ops.live.snapshot: counts.video).
VIDEO_NETWORKS = [
    ("tianwang", pgettext_lazy("camera network, short", "Skynet")),
    ("xueliang", pgettext_lazy("camera network, short", "Sharp Eyes")),
    ("huiyan", pgettext_lazy("camera network, short", "Huiyan")),
    ("other", pgettext_lazy("camera network, short", "Other")),
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
        "care_figures": CARE_FIGURES,
        "patrol_figures": PATROL_FIGURES,
        "video_networks": VIDEO_NETWORKS,
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
