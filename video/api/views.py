"""The video API (v1): thin views over video.services and video.selectors; visibility by
accounts.scope (VIDEO_BY_ROLE). Errors follow the API contract: 404 outside the scope, 403 not
allowed, 400 bad input (field errors), 409 a camera that cannot play now; refusals carry `problem`."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from accounts.scope import scope_for
from events.services import EventNotFound
from grids.selectors import BadCoordinates, point_from_lat_lng
from wenjiang_ops.files import MissingFile, private_file_response

from .. import importing, selectors, services
from ..adapters import AdapterError
from ..choices import CameraStatus, Network, Purpose
from ..domain import walls as wall_rules
from ..models import Camera, Snapshot
from .serializers import (
    CameraFeatureSerializer,
    CameraInputSerializer,
    ConsentInputSerializer,
    ConsentSerializer,
    GroupInputSerializer,
    GroupSerializer,
    ImportErrorSerializer,
    ImportResultSerializer,
    LayoutInputSerializer,
    LayoutSerializer,
    MyCameraSerializer,
    NearestCameraSerializer,
    OnlineRateSerializer,
    PlayInputSerializer,
    PlaySerializer,
    ShowInputSerializer,
    SnapshotInputSerializer,
    SnapshotSerializer,
    StatusChangeSerializer,
    TourDetailSerializer,
    TourInputSerializer,
    TourSerializer,
    ViewingSerializer,
    WallDetailSerializer,
    WallInputSerializer,
    WallSerializer,
)

REFUSED = OpenApiResponse(description="Refused: `detail` and `problem` (purpose, needs_event, no_consent, offline …).")


class Refusal(APIException):
    def __init__(self, exc: services.Refused):
        self.status_code = exc.status
        super().__init__({"detail": str(exc), "problem": exc.problem})


class BadGateway(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "The media server did not answer."


@contextmanager
def answers():
    try:
        yield
    except services.NotVisible as exc:
        raise NotFound(str(exc)) from None
    except EventNotFound as exc:
        raise NotFound(str(exc)) from None
    except Http404 as exc:
        raise NotFound(str(exc)) from None
    except services.Refused as exc:
        raise Refusal(exc) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
    except AdapterError as exc:
        raise BadGateway({"detail": _("The media server did not answer: %(e)s") % {"e": exc}}) from None


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _int(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("A number is expected.")]}) from None


class CameraPagination(GeoJsonPagination):
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000

    def get_paginated_response_schema(self, schema):
        nullable_url = {"type": "string", "format": "uri", "nullable": True}
        paging = {
            "type": "object",
            "required": ["count"],
            "properties": {"count": {"type": "integer"}, "next": nullable_url, "previous": nullable_url},
        }
        return {"allOf": [schema, paging]}


def _bbox(value: str):
    from django.contrib.gis.geos import Polygon

    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        raise ValidationError({"bbox": [_("bbox is minlng,minlat,maxlng,maxlat.")]}) from None
    if not (west < east and south < north):
        raise ValidationError({"bbox": [_("bbox is minlng,minlat,maxlng,maxlat.")]})
    return Polygon.from_bbox((west, south, east, north))


class CameraListView(generics.ListAPIView):
    """Cameras the user sees, as GeoJSON (3 queries a page: the scope's centers, the count, the rows)."""

    serializer_class = CameraFeatureSerializer
    pagination_class = CameraPagination
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("network", str, enum=Network.values),
            OpenApiParameter("status", str, enum=CameraStatus.values),
            OpenApiParameter("center", int, description="a center's subtree"),
            OpenApiParameter("bbox", str, description="minlng,minlat,maxlng,maxlat"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        network, state = params.get("network") or None, params.get("status") or None
        if network and network not in Network.values:
            raise ValidationError({"network": [_("Unknown network.")]})
        if state and state not in CameraStatus.values:
            raise ValidationError({"status": [_("Unknown status.")]})
        queryset = selectors.camera_list(
            self.request.user, network=network, status=state, center_id=_int(params.get("center"), "center")
        )
        if params.get("bbox"):
            queryset = queryset.filter(point__coveredby=_bbox(params["bbox"]))
        return queryset.select_related("center", "media_server")

    @extend_schema(request=CameraInputSerializer, responses={201: CameraFeatureSerializer})
    def post(self, request):
        """Registers a camera (center staff and administrators, inside their area)."""
        data = _valid(CameraInputSerializer, request)
        with answers():
            camera = services.camera_create(actor=request.user, data=data)
        return Response(CameraFeatureSerializer(camera).data, status=201)


def _camera(request, pk: int) -> Camera:
    camera = (
        scope_for(request.user).cameras(Camera.objects.select_related("center", "media_server")).filter(pk=pk).first()
    )
    if camera is None:
        raise NotFound(_("No such camera in your area."))
    return camera


class CameraDetailView(APIView):
    @extend_schema(responses=CameraFeatureSerializer)
    def get(self, request, pk: int):
        """One camera (a GeoJSON Feature)."""
        return Response(CameraFeatureSerializer(_camera(request, pk)).data)

    @extend_schema(request=CameraInputSerializer(partial=True), responses=CameraFeatureSerializer)
    def patch(self, request, pk: int):
        """Changes a camera's registry fields."""
        serializer = CameraInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with answers():
            camera = services.camera_update(actor=request.user, camera_id=pk, data=dict(serializer.validated_data))
        return Response(CameraFeatureSerializer(camera).data)


class CameraHistoryView(generics.ListAPIView):
    """A camera's status changes, newest first."""

    serializer_class = StatusChangeSerializer
    filter_backends: list = []

    def get_queryset(self):
        return _camera(self.request, self.kwargs["pk"]).status_changes.order_by("-at", "-id")


class NearestView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("lat", float, required=True),
            OpenApiParameter("lng", float, required=True),
            OpenApiParameter("n", int, description="how many (1–100, default 10)"),
            OpenApiParameter("purpose", str, enum=[p for p in Purpose.values if p != Purpose.OWN]),
        ],
        responses=NearestCameraSerializer(many=True),
    )
    def get(self, request):
        """The nearest online cameras the user may watch for the purpose (default: alarm response),
        nearest first, with their distance in metres."""
        params = request.query_params
        try:
            point = point_from_lat_lng(params.get("lat"), params.get("lng"))
        except BadCoordinates as exc:
            raise ValidationError({"lat": [str(exc)]}) from None
        n = _int(params.get("n"), "n")
        n = 10 if n is None else n
        if not 1 <= n <= 100:
            raise ValidationError({"n": [_("n is 1 to 100.")]})
        purpose = params.get("purpose") or Purpose.ALARM
        if purpose not in Purpose.values:
            raise ValidationError({"purpose": [_("Unknown purpose.")]})
        cameras = selectors.camera_nearest(request.user, point, n=n, purpose=purpose)
        return Response(NearestCameraSerializer(cameras, many=True).data)


class PlayView(APIView):
    @extend_schema(
        request=PlayInputSerializer,
        responses={201: PlaySerializer, 400: REFUSED, 403: REFUSED, 404: REFUSED, 409: REFUSED},
    )
    def post(self, request, pk: int):
        """Watch a camera: checks who may watch (area, household consent, purpose), records the
        viewing and answers a short-lived token-bearing HLS URL (the media server refuses plays
        without a valid token)."""
        data = _valid(PlayInputSerializer, request)
        with answers():
            play = services.camera_play(
                user=request.user,
                camera_id=pk,
                purpose=data["purpose"],
                event_id=data.get("event"),
                reason=data.get("reason", ""),
                tour_id=data.get("tour"),
            )
        return Response(PlaySerializer(play).data, status=201)


class OnlineRateView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("by", str, enum=list(selectors.BY)),
            OpenApiParameter("center", int, description="a center's subtree"),
        ],
        responses=OnlineRateSerializer(many=True),
    )
    def get(self, request):
        """The online rate of the cameras one sees, by network or by district, town or community."""
        by = request.query_params.get("by") or "network"
        if by not in selectors.BY:
            raise ValidationError({"by": [_("by is network, district, town or community.")]})
        rows = selectors.camera_online_rate(
            request.user, by=by, center_id=_int(request.query_params.get("center"), "center")
        )
        return Response(OnlineRateSerializer(rows, many=True).data)


class ImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "CameraImportInput",
                {
                    "file": serializers.FileField(),
                    "network": serializers.ChoiceField(choices=Network.choices, required=False),
                    "media_server": serializers.CharField(required=False),
                    "dry_run": serializers.BooleanField(required=False),
                },
            )
        },
        responses={
            200: ImportResultSerializer,
            400: inline_serializer(
                "CameraImportErrors", {"detail": serializers.CharField(), "errors": ImportErrorSerializer(many=True)}
            ),
        },
    )
    def post(self, request):
        """Imports cameras from a .csv/.xlsx sheet or a wvp channel list (.json): every row is
        checked first; with any error nothing is written and every error is listed by row."""
        with answers():
            importing.check_may_import(request.user)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Choose a file.")]})
        dry_run = str(request.data.get("dry_run", "")).lower() in {"1", "true", "yes", "on"}
        try:
            rows = importing.rows_from_file(
                upload.name,
                upload.read(importing.MAX_BYTES + 1),
                network=request.data.get("network", ""),
                media_server=request.data.get("media_server", ""),
            )
            with answers():
                result = importing.cameras_import(actor=request.user, rows=rows, dry_run=dry_run)
        except importing.ImportFailed as exc:
            return Response({"detail": str(exc), "errors": exc.errors}, status=400)
        return Response(ImportResultSerializer(result).data)


class ViewingListView(generics.ListAPIView):
    """Viewing records one may read: one's own, a center's cameras', a household's cameras'."""

    serializer_class = ViewingSerializer
    filter_backends: list = []

    @extend_schema(parameters=[OpenApiParameter("camera", int), OpenApiParameter("event", int)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.viewing_list(
            self.request.user,
            camera_id=_int(params.get("camera"), "camera"),
            event_id=_int(params.get("event"), "event"),
        )


class HeartbeatView(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=None, responses={200: PlaySerializer, 403: REFUSED, 404: REFUSED, 409: REFUSED})
    def post(self, request, pk):
        """The player still watches: a fresh token (the consent and the area are checked again)."""
        with answers():
            play = services.viewing_heartbeat(user=request.user, viewing_id=pk)
        return Response(PlaySerializer(play).data)


class EndView(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]  # sendBeacon posts a form (CSRF in the body)

    @extend_schema(request=None, responses={200: ViewingSerializer})
    def post(self, request, pk):
        """The player closed: the viewing ends (again: nothing changes)."""
        with answers():
            viewing = services.viewing_end(user=request.user, viewing_id=pk)
        return Response(ViewingSerializer(viewing).data)


class WallListView(generics.ListAPIView):
    serializer_class = WallSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.walls_list(self.request.user)

    @extend_schema(request=WallInputSerializer, responses={201: WallSerializer})
    def post(self, request):
        """A new wall of a center (default: the user's)."""
        data = _valid(WallInputSerializer, request)
        with answers():
            wall = services.wall_create(user=request.user, center_id=data.get("center"), name=data["name"])
        return Response(WallSerializer(wall).data, status=201)


def _frames(request, tour):
    return selectors.tour_frames(request.user, tour)


class WallDetailView(APIView):
    @extend_schema(responses=WallDetailSerializer)
    def get(self, request, pk: int):
        """A wall with its saved layouts and, when a tour runs on it, the tour's frames for this
        user and the frame to show now (every screen computes the same one)."""
        wall = selectors.walls_list(request.user).filter(pk=pk).prefetch_related("layouts__slots").first()
        if wall is None:
            raise NotFound(_("No such wall in your area."))
        wall.frames = wall.frame_now = None
        if wall.tour_id:
            wall.frames = _frames(request, wall.tour)
            if wall.frames:
                elapsed = (timezone.now() - wall.tour_started_at).total_seconds()
                index, left = wall_rules.frame_at(
                    [wall_rules.Frame(tuple(c.pk for c in f.cameras), f.dwell, f.step) for f in wall.frames], elapsed
                )
                wall.frame_now = {"index": index, "seconds_left": round(left, 3)}
        return Response(WallDetailSerializer(wall).data)


class WallLayoutView(APIView):
    @extend_schema(request=LayoutInputSerializer, responses={201: LayoutSerializer})
    def post(self, request, pk: int):
        """Saves a layout of the wall (replacing one of the same name) and shows it."""
        data = _valid(LayoutInputSerializer, request)
        with answers():
            layout = services.wall_layout_save(
                user=request.user,
                wall_id=pk,
                name=data["name"],
                tiles=data["tiles"],
                slots=data["slots"],
                show=data["show"],
            )
        return Response(LayoutSerializer(layout).data, status=201)


class WallShowView(APIView):
    @extend_schema(request=ShowInputSerializer, responses={200: WallSerializer})
    def post(self, request, pk: int):
        """Shows a saved layout, or starts a tour, on the wall."""
        data = _valid(ShowInputSerializer, request)
        with answers():
            wall = services.wall_show(
                user=request.user, wall_id=pk, layout_id=data.get("layout"), tour_id=data.get("tour")
            )
        return Response(WallSerializer(wall).data)


class TourListView(generics.ListAPIView):
    serializer_class = TourSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.tours_list(self.request.user).prefetch_related("steps")

    @extend_schema(request=TourInputSerializer, responses={201: TourSerializer})
    def post(self, request):
        """A new patrol tour: ordered steps, each a camera or a group, with a dwell time."""
        data = _valid(TourInputSerializer, request)
        with answers():
            tour = services.tour_save(
                user=request.user,
                center_id=data.get("center"),
                name=data["name"],
                tiles=data["tiles"],
                steps=data["steps"],
            )
        return Response(TourSerializer(tour).data, status=201)


class TourDetailView(APIView):
    def _tour(self, request, pk):
        tour = selectors.tours_list(request.user).filter(pk=pk).prefetch_related("steps").first()
        if tour is None:
            raise NotFound(_("No such tour in your area."))
        return tour

    @extend_schema(responses=TourDetailSerializer)
    def get(self, request, pk: int):
        """A tour with its frames for this user (only the cameras they may watch for patrol now)."""
        tour = self._tour(request, pk)
        tour.frames = _frames(request, tour)
        return Response(TourDetailSerializer(tour).data)

    @extend_schema(request=TourInputSerializer, responses=TourSerializer)
    def put(self, request, pk: int):
        """Replaces a tour's name, tiles and steps."""
        data = _valid(TourInputSerializer, request)
        with answers():
            tour = services.tour_save(
                user=request.user,
                center_id=data.get("center"),
                name=data["name"],
                tiles=data["tiles"],
                steps=data["steps"],
                tour_id=pk,
            )
        return Response(TourSerializer(tour).data)


class GroupListView(generics.ListAPIView):
    serializer_class = GroupSerializer
    filter_backends: list = []

    def get_queryset(self):
        return services.visible_groups(self.request.user).prefetch_related("members").order_by("center", "name")

    @extend_schema(request=GroupInputSerializer, responses={201: GroupSerializer})
    def post(self, request):
        """A new camera group (its cameras in order)."""
        data = _valid(GroupInputSerializer, request)
        with answers():
            group = services.group_save(
                user=request.user, center_id=data.get("center"), name=data["name"], camera_ids=data["cameras"]
            )
        return Response(GroupSerializer(group).data, status=201)


class MyCamerasView(generics.ListAPIView):
    """A household's own cameras, each with its consent in force."""

    serializer_class = MyCameraSerializer
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return selectors.my_cameras(self.request.user)


class MyViewingsView(generics.ListAPIView):
    """Who watched the household's cameras: when, how long, why."""

    serializer_class = ViewingSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.viewings_of_my_cameras(self.request.user)


class ConsentView(APIView):
    @extend_schema(request=ConsentInputSerializer, responses={200: ConsentSerializer})
    def put(self, request, pk: int):
        """The household's consent for its camera (replaces the one in force)."""
        data = _valid(ConsentInputSerializer, request)
        with answers():
            consent = services.consent_give(
                user=request.user,
                camera_id=pk,
                center_ids=data["centers"],
                purposes=data["purposes"],
                expires_at=data.get("expires_at"),
            )
        return Response(ConsentSerializer(consent).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        """Revokes the consent now: the next play and the next heartbeat of a play are refused."""
        with answers():
            services.consent_revoke(user=request.user, camera_id=pk)
        return Response(status=204)


class SnapshotView(APIView):
    @extend_schema(
        request=SnapshotInputSerializer,
        responses={
            201: SnapshotSerializer,
            403: REFUSED,
            409: REFUSED,
            502: OpenApiResponse(description="The media server gave no frame."),
        },
    )
    def post(self, request):
        """Grabs a frame of a live camera; with an event, attaches it to the event's timeline."""
        data = _valid(SnapshotInputSerializer, request)
        with answers():
            snapshot = services.snapshot_take(
                user=request.user,
                camera_id=data["camera"],
                event_id=data.get("event"),
                purpose=data["purpose"],
                reason=data.get("reason", ""),
            )
        return Response(SnapshotSerializer(snapshot).data, status=201)


class SnapshotImageView(APIView):
    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        """The snapshot's JPEG, to whoever took it or sees its camera."""
        cameras = scope_for(request.user).cameras(Camera.objects.all()).values("pk")
        from django.db.models import Q

        snapshot = Snapshot.objects.filter(Q(taken_by=request.user) | Q(camera__in=cameras)).filter(pk=pk).first()
        if snapshot is None:
            raise NotFound(_("No such snapshot."))
        try:
            return private_file_response(snapshot.image, content_type="image/jpeg")
        except MissingFile:
            raise NotFound(_("No such snapshot.")) from None
