"""The patrols' pages: the patroller's phone page, the QR landing, the center's live monitor, a
patrol's replay, a plan (with its QR sheet) and the import of places. The pages are shells over the
API (static/js/patrol.js, patrol-monitor.js, patrol-replay.js); views parse, read through selectors
or call one service, and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.scope import scope_for, subtree_ids
from events.forms import categories_in_tree_order
from grids.selectors import home_area_outlines

from . import selectors, services
from .domain import permissions as perms


def _patroller(user) -> bool:
    return user.role in perms.PATROLLER_ROLES


@login_required
def phone(request):
    """The patroller's phone page: my plans, the patrol under way (its route on a map, check-ins,
    the track sent as it is recorded), reports in two taps. Center staff are sent to the monitor."""
    user = request.user
    if not _patroller(user):
        if selectors.follows_patrols(user):
            return redirect("patrols:monitor")
        raise PermissionDenied(_("Only grid workers and volunteers patrol."))
    plans = list(selectors.my_plans(user))
    active = selectors.active_patrol(user)
    categories = [c for c in categories_in_tree_order().filter(active=True) if c.parent_id is not None]
    bounds, outlines = home_area_outlines(user)
    routes = selectors.routes([p.pk for p in plans] + ([active.plan_id] if active and active.plan_id else []))
    checked = list(active.check_ins.values_list("place_id", flat=True)) if active else []
    data = {
        "user": user.pk,
        "active": {"id": active.pk, "plan": active.plan_id, "started_at": active.started_at.isoformat()}
        if active
        else None,
        "routes": routes,
        "checked": checked,
    }
    dispute_types = []
    if user.role == "grid_worker":
        from disputes.models import DisputeType

        dispute_types = list(DisputeType.objects.filter(active=True).order_by("pk").values("pk", "name"))
    return render(
        request,
        "patrols/phone.html",
        {
            "plans": plans,
            "active": active,
            "data": data,
            "dispute_types": dispute_types,
            "categories": categories,
            "bounds": bounds,
            "outlines": outlines,
            "may_report_dispute": bool(dispute_types),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def qr(request, token: str):
    """The page a QR code at a door opens: the place, and one tap to check in on the patrol under
    way (the phone's camera app opens the link; the patrol page also takes the token typed in)."""
    place = scope_for(request.user).places().filter(qr_token=token, active=True).select_related("grid").first()
    if place is None:
        raise Http404(_("No such place."))
    active = selectors.active_patrol(request.user) if _patroller(request.user) else None
    if request.method == "POST":
        if active is None:
            messages.error(request, _("Start a patrol first, then scan the code again."))
            return redirect("patrols:phone")
        try:
            services.patrol_check_in(user=request.user, patrol_id=active.pk, qr_token=token)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except (services.PatrolConflict, services.PatrolNotFound) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Checked in at %(place)s.") % {"place": place.name})
        return redirect("patrols:phone")
    return render(request, "patrols/qr.html", {"place": place, "active": active})


def _follower(request):
    if not selectors.follows_patrols(request.user):
        raise PermissionDenied(_("Your role does not follow patrols."))


@login_required
def monitor(request):
    """The center's patrols: those under way live on a map (pushed over the dashboard's socket),
    today's patrols and each plan's coverage of its current period."""
    try:
        center = selectors.live_center(request.user, request.GET.get("center"))
    except ValidationError:
        raise Http404(request.GET.get("center")) from None
    ids = subtree_ids(center.path)
    today = timezone.localdate()
    patrols = (
        scope_for(request.user)
        .patrols()
        .filter(center_id__in=ids, started_at__date=today)
        .select_related("user", "plan")
        .defer("plan__period_start", "last_point")
        .order_by("-started_at")[:200]
    )
    plans = list(
        scope_for(request.user)
        .patrol_plans()
        .filter(center_id__in=ids, active=True)
        .select_related("grid", "organization")
        .defer("grid__boundary")
        .order_by("name")[:300]
    )
    coverage = selectors.plan_current_coverage(plans)
    rows = [(plan, coverage.get(plan.pk)) for plan in plans]
    bounds, outlines = home_area_outlines(request.user)
    return render(
        request,
        "patrols/monitor.html",
        {
            "center": center,
            "patrols": patrols,
            "plans": rows,
            "figures": selectors.patrol_figures(ids, now=timezone.now()),
            "bounds": bounds,
            "outlines": outlines,
        },
    )


@login_required
def replay(request, pk: int):
    """A patrol's replay: its track drawn and animated, the check-ins, the reports."""
    patrol = scope_for(request.user).patrols().select_related("user", "plan").filter(pk=pk).first()
    if patrol is None:
        raise Http404(_("No such patrol in your area."))
    data = selectors.patrol_replay(patrol)
    return render(request, "patrols/replay.html", {"patrol": patrol, "replay": data})


@login_required
def plan_detail(request, pk: int):
    """A plan: its route, people, checklist, the current period's coverage and the missed periods."""
    plan = (
        scope_for(request.user)
        .patrol_plans()
        .select_related("grid", "organization", "center")
        .defer("grid__boundary", "center__boundary")
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise Http404(_("No such patrol plan in your area."))
    stops = list(plan.stops.select_related("place").order_by("order"))
    return render(
        request,
        "patrols/plan.html",
        {
            "plan": plan,
            "stops": stops,
            "coverage": selectors.plan_current_coverage([plan]).get(plan.pk),
            "missed": plan.missed.order_by("-period_start")[:20],
            "assignees": plan.assignees.order_by("username"),
            "duties": plan.duties.select_related("category"),
            "may_print": selectors.follows_patrols(request.user),
        },
    )


@login_required
def plan_qr_sheet(request, pk: int):
    """The plan's places with their check-in links, to print and put up at the doors. (No QR image:
    the `qrcode` package is not installed; the link is printed as text and as a short code.)"""
    _follower(request)
    plan = scope_for(request.user).patrol_plans().filter(pk=pk).first()
    if plan is None:
        raise Http404(_("No such patrol plan in your area."))
    stops = plan.stops.select_related("place").order_by("order")
    base = request.build_absolute_uri("/")[:-1]
    sheet = [(s.place, base + reverse("patrols:qr", args=[s.place.qr_token])) for s in stops]
    return render(request, "patrols/qr_sheet.html", {"plan": plan, "sheet": sheet})


@login_required
@require_http_methods(["GET", "POST"])
def place_import(request):
    """Center staff import the places of their grids from a .csv, .xlsx or GeoJSON file: all or
    nothing, each row's error shown with its row number."""
    from grids.services import place_import as do_import

    _follower(request)
    errors, result = [], None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [_("Choose a file to import.")]
        else:
            try:
                result = do_import(file=upload, actor=request.user)
            except ValidationError as exc:
                errors = [m for messages_ in exc.message_dict.values() for m in messages_]
            except PermissionDenied as exc:
                errors = [str(exc)]
    return render(request, "patrols/place_import.html", {"errors": errors, "result": result})
