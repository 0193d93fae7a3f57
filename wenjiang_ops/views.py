"""Pages of the command-center shell: each role's home page and the map."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.models import Role
from accounts.scope import scope_for
from grids.choices import Level
from grids.selectors import area_summary


@login_required
def home(request):
    user = request.user
    if user.role == Role.VOLUNTEER:
        return redirect("force:me")  # a volunteer's phone home: reports, patrols, points
    if user.role == Role.RESIDENT:
        return redirect("video:mine")  # a household's phone home: its cameras, consent, who watched
    scope = scope_for(user)
    context = {"summary": area_summary(scope), "scope": scope, "Role": Role}
    if user.center and user.center.level == Level.COMMUNITY and user.role != Role.GRID_WORKER:
        context["area_grids"] = scope.grids().order_by("code")
    if user.role == Role.GRID_WORKER:
        context["my_grids"] = user.worker_grids.select_related("center", "center__parent").order_by("code")
    if user.role == Role.VOLUNTEER:
        volunteer = getattr(user, "volunteer", None)
        context["volunteer"] = volunteer
    if user.role == Role.DEPARTMENT_STAFF:
        context["police_grids"] = user.police_grids.select_related("center").order_by("code")
        context["departments"] = scope.departments().select_related("center")
    return render(request, "home.html", context)


@login_required
def map_page(request):
    return render(request, "map.html", {"center": request.user.center})
