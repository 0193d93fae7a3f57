"""The patrols API (under /api/patrols/): plans, patrols from start to end (track, check-ins,
reports), a patrol's replay and the live patrols of an area. Every view parses, calls one service
or selector, answers; refusals follow the API's contract (404 not yours or not in your area, 403
not allowed, 409 the patrol's state, 400 field errors)."""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.scope import scope_for
from grids.models import DutyItem
from patrols import selectors, services
from patrols.models import Patrol, PlanStop

from . import serializers as s
from .filters import PatrolFilter, PlanFilter


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict"


@contextmanager
def service_answers():
    """The services' refusals as the API's answers (ValidationError: wenjiang_ops.api's handler)."""
    try:
        yield
    except services.PatrolNotFound as exc:
        raise NotFound(str(exc)) from None
    except services.PatrolConflict as exc:
        raise Conflict({"detail": exc.message, "state": exc.state, "patrol": exc.patrol_id}) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PlanViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Patrol plans: a patroller's own, a center's area's; each with its current period's coverage
    (places checked ÷ places due). Center staff create them."""

    serializer_class = s.PlanSerializer
    filterset_class = PlanFilter

    def get_queryset(self):
        return (
            scope_for(self.request.user)
            .patrol_plans()
            .select_related("grid", "organization")
            .prefetch_related(
                Prefetch("stops", queryset=PlanStop.objects.order_by("order").only("plan_id", "place_id", "order")),
                Prefetch("assignees", queryset=User.objects.only("pk")),
                Prefetch("duties", queryset=DutyItem.objects.only("pk")),
            )
            .defer("grid__boundary")
            .order_by("center_id", "name", "id")
        )

    def _context_for(self, plans) -> dict:
        return {**self.get_serializer_context(), "coverage": selectors.plan_current_coverage(plans)}

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        plans = list(page if page is not None else queryset)
        data = s.PlanSerializer(plans, many=True, context=self._context_for(plans)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        plan = self.get_object()
        return Response(s.PlanSerializer(plan, context=self._context_for([plan])).data)

    @extend_schema(request=s.PlanInputSerializer, responses={201: s.PlanSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(s.PlanInputSerializer, request)
        with service_answers():
            plan = services.plan_create(
                actor=request.user,
                name=data["name"],
                grid_id=data.get("grid"),
                organization_id=data.get("organization"),
                period=data["period"],
                patrols_per_period=data["patrols_per_period"],
                check_in_radius_m=data.get("check_in_radius_m"),
                place_ids=data["places"],
                assignee_ids=data["assignees"],
                duty_ids=data["duties"],
            )
        plan = self.get_queryset().get(pk=plan.pk)
        return Response(s.PlanSerializer(plan, context=self._context_for([plan])).data, status=201)


class PatrolViewSet(viewsets.ReadOnlyModelViewSet):
    """Patrols: a patroller's own, a center's area's. `POST` starts one; the actions below are the
    patroller's own (only they write to their patrol)."""

    serializer_class = s.PatrolSerializer
    filterset_class = PatrolFilter

    def get_queryset(self):
        return (
            scope_for(self.request.user)
            .patrols()
            .select_related("user", "plan")
            .only(
                *[f.name for f in Patrol._meta.concrete_fields if f.name not in ("user", "plan")],
                "user__username",
                "user__first_name",
                "user__last_name",
                "plan__name",
            )
            .order_by("-started_at", "-id")
        )

    @extend_schema(request=s.StartSerializer, responses={201: s.PatrolSerializer, 200: s.PatrolSerializer})
    def create(self, request):
        data = _valid(s.StartSerializer, request)
        with service_answers():
            patrol, created = services.patrol_start(
                user=request.user, plan_id=data.get("plan"), client_id=data.get("client_id")
            )
        return Response(s.PatrolSerializer(patrol).data, status=201 if created else 200)

    @extend_schema(request=s.TrackSerializer, responses={200: s.TrackResultSerializer})
    @action(detail=True, methods=["post"])
    def track(self, request, pk=None):
        """A batch of track points (the phone resends what is not acknowledged; a repeat is ignored)."""
        with service_answers():
            result = services.patrol_track(user=request.user, patrol_id=pk, points=request.data.get("points"))
        return Response(result)

    @extend_schema(request=s.CheckInInputSerializer, responses={201: s.CheckInSerializer, 200: s.CheckInSerializer})
    @action(detail=True, methods=["post"], url_path="check-ins")
    def check_in(self, request, pk=None):
        """A check-in at a place: its QR token, or a tap near it (with the phone's position)."""
        data = _valid(s.CheckInInputSerializer, request)
        with service_answers():
            check_in, created = services.patrol_check_in(
                user=request.user,
                patrol_id=pk,
                place_id=data.get("place"),
                qr_token=data.get("qr_token") or None,
                lat=data.get("lat"),
                lng=data.get("lng"),
            )
        return Response(s.CheckInSerializer(check_in).data, status=201 if created else 200)

    @extend_schema(request=None, responses={200: s.PatrolSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        with service_answers():
            patrol = services.patrol_end(user=request.user, patrol_id=pk)
        return Response(s.PatrolSerializer(patrol).data)

    @extend_schema(request=None, responses={200: s.PatrolSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        with service_answers():
            patrol = services.patrol_cancel(user=request.user, patrol_id=pk)
        return Response(s.PatrolSerializer(patrol).data)

    @extend_schema(request=s.ReportInputSerializer, responses={201: s.ReportResultSerializer})
    @action(detail=True, methods=["post"])
    def reports(self, request, pk=None):
        """An event (or a dispute) reported from the patrol, the place's position and address filled in."""
        data = _valid(s.ReportInputSerializer, request)
        where = {"place_id": data.get("place"), "lat": data.get("lat"), "lng": data.get("lng")}
        with service_answers():
            if data["kind"] == "event":
                item, created = services.patrol_report_event(
                    user=request.user,
                    patrol_id=pk,
                    client_id=data["client_id"],
                    category_id=data.get("category"),
                    description=data.get("description", ""),
                    address=data.get("address", ""),
                    urgent=data.get("urgent"),
                    **where,
                )
                body = {"kind": "event", "id": item.pk, "number": item.number, "url": f"/events/{item.pk}/"}
            else:
                item, created = services.patrol_report_dispute(
                    user=request.user,
                    patrol_id=pk,
                    client_id=data["client_id"],
                    address=data.get("address", ""),
                    type_id=data.get("type"),
                    title=data.get("title", ""),
                    facts=data.get("facts", ""),
                    parties=data.get("parties", []),
                    **where,
                )
                body = {"kind": "dispute", "id": item.pk, "number": item.number, "url": f"/disputes/{item.pk}/"}
        return Response({**body, "created": created}, status=201 if created else 200)

    @extend_schema(responses={200: s.ReplaySerializer})
    @action(detail=True, methods=["get"])
    def replay(self, request, pk=None):
        """The patrol's track (a GeoJSON LineString with each point's time), check-ins and reports."""
        return Response(selectors.patrol_replay(self.get_object()))


class LiveView(APIView):
    """The patrols under way in a center's subtree (default: your own), for a live map's snapshot,
    with the area's patrol figures; pushes follow on `/ws/dashboard/?center=` as `patrol` messages."""

    @extend_schema(
        parameters=[OpenApiParameter("center", int, description="a center in your area (default: your own)")],
        responses={200: s.LiveSerializer},
    )
    def get(self, request):
        from django.utils import timezone

        from accounts.scope import subtree_ids

        center = selectors.live_center(request.user, request.query_params.get("center"))
        ids = subtree_ids(center.path)
        return Response(
            {
                "center": center.pk,
                "patrols": selectors.active_in(ids),
                "figures": selectors.patrol_figures(ids, now=timezone.now()),
            }
        )
