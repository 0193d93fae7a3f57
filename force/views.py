"""Pages of the force app: sign-up by invitation (no login), the volunteer's phone home page,
invitations, rankings with recognition, the duties in use and the performance table. Each view
parses input, calls one service or selector, renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.scope import scope_for
from grids.models import VolunteerOrganization
from wenjiang_ops.ratelimit import RateLimited

from . import selectors, services
from .api.views import XLSX, count_join_attempt, ranking_body
from .choices import PerformanceBy
from .domain.permissions import CENTER_ROLES
from .export import performance_xlsx
from .forms import InvitationForm, JoinForm, RecognitionForm, figure_query


def _field_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def join(request, code: str):
    """The sign-up page of an invitation link (375 px, no login)."""
    try:
        invitation = services.invitation_by_code(code)
    except services.InvitationNotFound:
        raise Http404(_("No such invitation.")) from None
    problem = services.invitation_problem(invitation)
    organizations = list(services.join_organizations(invitation)) if problem is None else []
    form = JoinForm(request.POST or None)
    form.fields["organization"].widget.choices = [("", "—")] + [(o.pk, o.name) for o in organizations]
    status = 200
    if request.method == "POST":
        try:
            count_join_attempt(request)
        except RateLimited as exc:
            return render(
                request, "force/join.html", {"invitation": invitation, "problem": exc.message, "form": form}, status=429
            )
    if request.method == "POST" and problem is None and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            volunteer = services.volunteer_join(code=code, organization_id=data.pop("organization"), **data)
        except services.InvitationUnusable as exc:
            problem, status = exc.problem, 409
        except ValidationError as exc:
            _field_errors(form, exc)
            status = 400
        else:
            return render(request, "force/joined.html", {"volunteer": volunteer}, status=201)
    elif request.method == "POST":
        status = 409 if problem else 400
    return render(
        request,
        "force/join.html",
        {
            "invitation": invitation,
            "problem": services.InvitationUnusable.MESSAGES[problem] if problem else None,
            "form": form,
            "fixed_organization": invitation.organization if invitation.organization_id else None,
        },
        status=status,
    )


@login_required
def me(request):
    """The volunteer's phone home page: reports, tasks, patrols, points, rank, recognitions."""
    if request.user.role != Role.VOLUNTEER:
        raise PermissionDenied(_("This is a volunteer's page."))
    return render(request, "force/me.html", selectors.volunteer_home(request.user))


def _may_invite_somewhere(user) -> bool:
    return user.is_superuser or user.role in (Role.ADMIN, Role.GRID_WORKER, *CENTER_ROLES)


@login_required
def invitations(request):
    """Invitations one made (a grid worker) or of one's area (a center), and a form for a new one."""
    user = request.user
    if not _may_invite_somewhere(user):
        raise PermissionDenied(_("Only grid workers and centers invite volunteers."))
    scope = scope_for(user)
    if user.role == Role.GRID_WORKER:
        grids = user.worker_grids.order_by("code")
    else:
        grids = scope.grids().order_by("code")[:500]
    organizations = VolunteerOrganization.objects.filter(scope.center_q("center")).order_by("name")
    if user.center and user.role == Role.GRID_WORKER:
        codes = user.center.path.strip("/").split("/")
        organizations = VolunteerOrganization.objects.filter(center__code__in=codes).order_by("name")
    form = InvitationForm(request.POST or None)
    form.fields["grid"].widget.choices = [("", "—")] + [(g.pk, g.name) for g in grids]
    form.fields["organization"].widget.choices = [("", "—")] + [(o.pk, o.name) for o in organizations]
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.invitation_create(
                inviter=user,
                grid_id=data["grid"],
                organization_id=data["organization"],
                days=data["days"],
                uses=data["uses"],
            )
        except ValidationError as exc:
            _field_errors(form, exc)
            status = 400
        else:
            messages.success(request, _("The invitation is ready: send its link or show its page."))
            return redirect("force:invitations")
    elif request.method == "POST":
        status = 400
    rows = selectors.invitations_visible(user).select_related("grid", "organization", "center")[:100]
    now = timezone.now()
    listed = [
        {
            "invitation": i,
            "link": request.build_absolute_uri(f"/force/join/{i.code}/"),
            "problem": services.invitation_problem(i, now),
        }
        for i in rows
    ]
    return render(request, "force/invitations.html", {"form": form, "rows": listed}, status=status)


@login_required
def rankings(request):
    """The monthly ranking of a community's (default: one's own) or an organization's volunteers,
    with a commendation form for the centers."""
    user = request.user
    status = 200
    try:
        body = ranking_body(user, request.GET)
    except ValidationError as exc:
        # Shown on the page itself: a redirect to the same page could loop on a default that fails.
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        body, status = {"month": "", "community": None, "organization": None, "rows": []}, 400
    scope = scope_for(user)
    organizations = VolunteerOrganization.objects.filter(scope.center_q("center"))
    own = getattr(user, "volunteer", None) if user.role == Role.VOLUNTEER else None
    if own is not None:  # a volunteer ranks in their own organization, whose center is above their area
        organizations = organizations | VolunteerOrganization.objects.filter(pk=own.organization_id)
    organizations = organizations.order_by("name")[:200]
    return render(
        request,
        "force/rankings.html",
        {
            **body,
            "month_value": body["month"] or f"{selectors.this_month():%Y-%m}",
            "organizations": organizations,
            "communities": scope.centers().filter(level="community").order_by("path")[:300],
            "may_commend": user.is_superuser or user.role in (Role.ADMIN, *CENTER_ROLES),
            "recognition_form": RecognitionForm(),
            "recent": selectors.recognitions_recent(scope),
        },
        status=status,
    )


@login_required
@require_POST
def recognize(request, user_id: int):
    """A center commends a volunteer (from the ranking page)."""
    form = RecognitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason (up to 500 characters) and 0 to 100 bonus points."))
        return redirect(request.POST.get("next") or "force:rankings")
    try:
        services.recognition_create(actor=request.user, user_id=user_id, **form.cleaned_data)
    except services.NotVisible:
        raise Http404(_("No such volunteer in your area.")) from None
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("The volunteer was commended."))
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/force/") else "force:rankings")


@login_required
def duties(request):
    """The grid duty catalog in use: categories covered, events in the period, plans that check it."""
    scope = scope_for(request.user)
    try:
        query = figure_query({**request.GET.dict(), "center": "", "by": ""}, request.user, scope)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("force:duties")
    return render(request, "force/duties.html", {"groups": selectors.duty_catalog(scope, query.period), "query": query})


@login_required
def performance(request):
    """Grids and grid workers of a center's subtree compared over a period (a table one sorts),
    or the same rows as .xlsx with ?format=xlsx."""
    user = request.user
    if not selectors.may_see_figures(user):
        raise PermissionDenied(_("The performance figures are for the centers."))
    scope = scope_for(user)
    try:
        query = figure_query(request.GET, user, scope)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("force:performance")
    rows = selectors.performance(scope, query.center, query.period, query.by)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(performance_xlsx(rows, query.by), content_type=XLSX)
        response["Content-Disposition"] = (
            f'attachment; filename="performance-{query.by}-{query.date_from}-{query.date_to}.xlsx"'
        )
        return response
    for row in rows:
        row["distance_km"] = f"{row['distance_m'] / 1000:.1f}"
    centers = scope.centers().exclude(level="community").order_by("path")[:50]
    return render(
        request,
        "force/performance.html",
        {
            "rows": rows,
            "query": query,
            "by_worker": query.by == PerformanceBy.WORKER,
            "centers": list(centers) + list(scope.centers().filter(level="community").order_by("path")[:300]),
            "export_query": request.GET.urlencode(),
        },
    )
