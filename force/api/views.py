"""The force API (v1): thin views over force.services and force.selectors; visibility by
accounts.scope (FORCE_BY_ROLE). Errors follow the API contract: 404 outside the scope, 403 not
allowed, 400 bad input (field errors), 409 an invitation that can no longer be used."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.client_ip import client_ip
from accounts.models import Role
from accounts.scope import scope_for
from grids.models import VolunteerOrganization
from wenjiang_ops import ratelimit

from .. import selectors, services
from ..choices import PerformanceBy
from ..export import performance_xlsx
from ..forms import center_in_scope, figure_query, month_of, month_period_of
from ..models import PointEntry, Recognition
from .serializers import (
    DutyGroupSerializer,
    InvitationInputSerializer,
    InvitationPublicSerializer,
    InvitationSerializer,
    JoinedSerializer,
    JoinInputSerializer,
    MeSerializer,
    PerformanceSerializer,
    PointEntrySerializer,
    RankingSerializer,
    RecognitionInputSerializer,
    RecognitionSerializer,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_IN_AREA = OpenApiResponse(description="The center, community or organization is not in your area.")
UNUSABLE = OpenApiResponse(description="The invitation expired, was used up or withdrawn (`detail`, `problem`).")
TOO_MANY = OpenApiResponse(description="Too many sign-up attempts from this address: wait `Retry-After` seconds.")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict"


@contextmanager
def _service_answers():
    try:
        yield
    except (services.NotVisible, services.InvitationNotFound) as exc:
        raise NotFound(str(exc)) from None
    except services.InvitationUnusable as exc:
        raise Conflict({"detail": str(exc), "problem": exc.problem}) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class InvitationListView(generics.ListCreateAPIView):
    """Invitations to sign up as a volunteer: a grid worker's own, a center's subtree's."""

    serializer_class = InvitationSerializer

    def get_queryset(self):
        return selectors.invitations_visible(self.request.user).select_related("grid", "organization", "center")

    @extend_schema(request=InvitationInputSerializer, responses={201: InvitationSerializer})
    def post(self, request):
        """A new invitation for a grid and/or an organization (403 unless one may invite there)."""
        data = _valid(InvitationInputSerializer, request)
        with _service_answers():
            invitation = services.invitation_create(
                inviter=request.user,
                grid_id=data.get("grid"),
                organization_id=data.get("organization"),
                days=data["days"],
                uses=data["uses"],
            )
        return Response(InvitationSerializer(invitation, context={"request": request}).data, status=201)


class InvitationRevokeView(APIView):
    @extend_schema(request=None, responses={200: InvitationSerializer})
    def post(self, request, pk: int):
        """Withdraws an invitation: its link no longer signs anyone up."""
        with _service_answers():
            invitation = services.invitation_revoke(invitation_id=pk, actor=request.user)
        return Response(InvitationSerializer(invitation, context={"request": request}).data)


# Sign-up attempts per client address (the code itself is 128 random bits: not guessable; this
# stops a script trying ID numbers against one link). Counted in the shared cache.
JOIN_LIMIT = ratelimit.Limit(20, 3600)


def count_join_attempt(request) -> None:
    """One sign-up attempt of the request's address; RateLimited (429) over JOIN_LIMIT."""
    decision = ratelimit.hit("join", client_ip(request) or "unknown", JOIN_LIMIT)
    if not decision.allowed:
        raise ratelimit.RateLimited(
            decision.retry_after,
            _("Too many sign-up attempts: try again in %(s)d seconds.") % {"s": decision.retry_after},
        )


def _public(invitation) -> dict:
    problem = services.invitation_problem(invitation)
    organizations = services.join_organizations(invitation) if problem is None else []
    return {
        "grid_name": invitation.grid.name if invitation.grid_id else None,
        "organization_name": invitation.organization.name if invitation.organization_id else None,
        "center_name": invitation.center.name,
        "expires_at": invitation.expires_at,
        "usable": problem is None,
        "problem": str(services.InvitationUnusable.MESSAGES[problem]) if problem else None,
        "organizations": [{"id": o.pk, "name": o.name} for o in organizations],
    }


class JoinView(APIView):
    """Sign-up by invitation (no login: the code is the credential)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: InvitationPublicSerializer})
    def get(self, request, code: str):
        """What the invitation is for, and whether it can still be used."""
        with _service_answers():
            invitation = services.invitation_by_code(code)
        return Response(InvitationPublicSerializer(_public(invitation)).data)

    @extend_schema(request=JoinInputSerializer, responses={201: JoinedSerializer, 409: UNUSABLE, 429: TOO_MANY})
    def post(self, request, code: str):
        """Creates the volunteer's account and real-name record (400 on a second sign-up of the
        same ID number; 409 when the invitation expired, was used up or withdrawn)."""
        count_join_attempt(request._request)
        data = _valid(JoinInputSerializer, request)
        with _service_answers():
            volunteer = services.volunteer_join(
                code=code,
                real_name=data["real_name"],
                phone=data["phone"],
                id_number=data["id_number"],
                category=data["category"],
                password=data["password"],
                organization_id=data.get("organization"),
            )
        body = {
            "volunteer_id": volunteer.pk,
            "username": volunteer.user.username,
            "real_name": volunteer.real_name,
            "id_number_masked": volunteer.id_number_masked,
            "category": volunteer.category,
            "organization": volunteer.organization.name,
            "grid": volunteer.grid.name if volunteer.grid_id else None,
        }
        return Response(JoinedSerializer(body).data, status=201)


class PointEntryListView(generics.ListAPIView):
    """Points ledger entries of the volunteers one sees (a volunteer: their own)."""

    serializer_class = PointEntrySerializer

    @extend_schema(
        parameters=[OpenApiParameter("user", int, description="one volunteer's entries")],
        responses={200: PointEntrySerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        entries = PointEntry.objects.filter(user__in=selectors.volunteer_users(scope_for(self.request.user)))
        user = self.request.query_params.get("user")
        if user:
            if not user.isdigit():
                raise NotFound(_("No such volunteer in your area."))
            entries = entries.filter(user_id=int(user))
        return entries.order_by("-at", "-id")


class MeView(APIView):
    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        """A volunteer's home: reports with states, tasks, patrols, points, rank, recognitions."""
        if request.user.role != Role.VOLUNTEER:
            raise PermissionDenied(_("This is a volunteer's page."))
        home = selectors.volunteer_home(request.user)
        body = {
            **{k: home[k] for k in ("points_total", "points_month", "rank", "ranked", "report_count")},
            "reports": [
                {"id": e.pk, "number": e.number, "category": str(e.category), "state": e.state, "at": e.created_at}
                for e in home["reports"]
            ],
            "tasks": [{"id": p.pk, "name": p.name} for p in home["tasks"]],
            "patrols": [
                {"id": p.pk, "state": p.state, "started_at": p.started_at, "check_ins": p.check_in_count}
                for p in home["patrols"]
            ],
            "recognitions": home["recognitions"],
        }
        return Response(MeSerializer(body).data)


class RankingView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, description="YYYY-MM (default: this month)"),
            OpenApiParameter("community", int, description="a community center (default: the user's)"),
            OpenApiParameter("organization", int, description="a volunteer organization instead"),
        ],
        responses={200: RankingSerializer, 404: NOT_IN_AREA},
    )
    def get(self, request):
        """The monthly points ranking of a community's or an organization's volunteers."""
        body = ranking_body(request.user, request.query_params)
        return Response(RankingSerializer(body).data)


def ranking_body(user, params) -> dict:
    """The ranking asked by `params`, if the user may read it (the community in the user's area, or
    an organization whose center is; a volunteer: their own organization). 404 otherwise."""
    scope = scope_for(user)
    month = month_of(params.get("month"))
    period = month_period_of(params.get("month"))
    organization = None
    community = None
    if params.get("organization"):
        value = params["organization"]
        organizations = VolunteerOrganization.objects.filter(scope.center_q("center"))
        if user.role == Role.VOLUNTEER and hasattr(user, "volunteer"):
            organizations = organizations | VolunteerOrganization.objects.filter(pk=user.volunteer.organization_id)
        organization = organizations.filter(pk=int(value)).first() if str(value).isdigit() else None
        if organization is None:
            from django.http import Http404

            raise Http404(_("No such organization in your area."))
        rows = selectors.ranking(period=period, organization=organization)
    else:
        community = center_in_scope(
            params.get("community"), scope, user.center or scope.centers().order_by("depth").first()
        )
        rows = selectors.ranking(period=period, community=community)
    return {
        "month": f"{month:%Y-%m}",
        "community": {"id": community.pk, "name": community.name} if community else None,
        "organization": {"id": organization.pk, "name": organization.name} if organization else None,
        "rows": rows,
    }


class RecognitionListView(generics.ListCreateAPIView):
    """Commendations of the volunteers one sees."""

    serializer_class = RecognitionSerializer

    def get_queryset(self):
        users = selectors.volunteer_users(scope_for(self.request.user))
        return Recognition.objects.filter(user__in=users).select_related("user", "center")

    @extend_schema(request=RecognitionInputSerializer, responses={201: RecognitionSerializer})
    def post(self, request):
        """A center commends a volunteer of its area, with optional bonus points."""
        data = _valid(RecognitionInputSerializer, request)
        with _service_answers():
            recognition = services.recognition_create(
                actor=request.user, user_id=data["user"], reason=data["reason"], bonus_points=data["bonus_points"]
            )
        return Response(RecognitionSerializer(recognition).data, status=201)


PERIOD_PARAMETERS = [
    OpenApiParameter("center", int, description="a center of one's area (default: one's own)"),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="first day (default: the 1st of this month)"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="last day, included (default: today)"),
]


class DutyCoverageView(APIView):
    @extend_schema(parameters=PERIOD_PARAMETERS[1:], responses={200: DutyGroupSerializer(many=True)})
    def get(self, request):
        """The grid duty catalog in use: per duty, the event categories it covers, the events
        reported in them in the period (that one sees), and the patrol plans that check it."""
        scope = scope_for(request.user)
        query = figure_query({**request.query_params.dict(), "center": ""}, request.user, scope)
        return Response(DutyGroupSerializer(selectors.duty_catalog(scope, query.period), many=True).data)


def _figures(request):
    if not selectors.may_see_figures(request.user):
        raise PermissionDenied(_("The performance figures are for the centers."))
    scope = scope_for(request.user)
    query = figure_query(request.query_params, request.user, scope)
    rows = selectors.performance(scope, query.center, query.period, query.by, now=timezone.now())
    return query, rows


class PerformanceView(APIView):
    @extend_schema(
        parameters=[*PERIOD_PARAMETERS, OpenApiParameter("by", str, enum=PerformanceBy.values)],
        responses={
            200: PerformanceSerializer,
            403: OpenApiResponse(description="Not a center."),
            404: NOT_IN_AREA,
        },
    )
    def get(self, request):
        """Per grid (or grid worker) of the center's subtree: reports, patrols, tasks, on-time rate
        and discovery rate (发现率) over the period."""
        query, rows = _figures(request)
        body = {
            "center": {"id": query.center.pk, "name": query.center.name, "level": query.center.level},
            "date_from": query.date_from,
            "date_to": query.date_to,
            "by": query.by,
            ("workers" if query.by == PerformanceBy.WORKER else "grids"): rows,
        }
        return Response(PerformanceSerializer(body).data)


class PerformanceExportView(APIView):
    @extend_schema(
        parameters=[*PERIOD_PARAMETERS, OpenApiParameter("by", str, enum=PerformanceBy.values)],
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            403: OpenApiResponse(description="Not a center."),
            404: NOT_IN_AREA,
        },
    )
    def get(self, request):
        """The same table as an .xlsx workbook."""
        query, rows = _figures(request)
        response = HttpResponse(performance_xlsx(rows, query.by), content_type=XLSX)
        name = f"performance-{query.by}-{query.date_from}-{query.date_to}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
