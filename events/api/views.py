from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import TooManyFilesSent
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scope import scope_for, subtree_ids
from events import services
from events.attachments import NotAnImage, TooLarge, check_content_length
from events.clocks import reference
from events.domain.states import IllegalTransition
from events.export import events_xlsx
from events.models import Attachment, Event, EventAction, EventAssignment, EventCategory
from events.selectors import SLICES, DuplicateDraft, Period, event_duplicates, stats_summary
from exports.api.serializers import ExportJobSerializer
from exports.services import export_start
from grids.models import Center
from grids.selectors import BadCoordinates, point_from_lat_lng
from wenjiang_ops.api import ListedCenterMixin, ValuesPage

from .filters import EventFilter
from .serializers import (
    BRIEF_COLUMNS,
    BRIEF_POINT,
    ActionRequestSerializer,
    AttachmentSerializer,
    EventCategorySerializer,
    EventCreatedSerializer,
    EventDetailSerializer,
    EventListSerializer,
    NearbySerializer,
    ReportSerializer,
    TimelineSerializer,
    brief_labels,
    event_brief_row,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class EventCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The active event categories (a tree: `parent`)."""

    serializer_class = EventCategorySerializer
    pagination_class = None
    queryset = EventCategory.objects.filter(active=True).order_by("order", "code")


def _conflict(exc: IllegalTransition) -> Response:
    from events.choices import Action, State

    message = exc.message or _("“%(action)s” is not possible while the event is “%(state)s”.") % {
        "action": Action(exc.action).label,
        "state": State(exc.state).label,
    }
    return Response({"detail": message, "state": exc.state.value, "action": exc.action.value}, status=409)


class EventViewSet(ListedCenterMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Events in the user's scope. POST reports one (idempotent by `client_id`)."""

    filterset_class = EventFilter

    def get_queryset(self):
        scope = scope_for(self.request.user)
        center = self.listed_center(scope)
        return self._shaped(scope.events_in(center) if center is not None else scope.events())

    def _shaped(self, queryset):
        if self.action == "list":  # read as values (list): nothing to join or defer
            return queryset.order_by("-created_at", "-id")
        # The joined centers' and grids' polygons are not shown: skip reading and decoding them.
        queryset = queryset.select_related("category", "center", "grid").defer("center__boundary", "grid__boundary")
        if self.action != "export":
            queryset = (
                queryset.select_related("origin_center", "reporter", "assignee", "verifier")
                .defer("origin_center__boundary")  # as the page: the outline is never shown here
                .prefetch_related(
                    Prefetch("assignments", queryset=EventAssignment.objects.select_related("department")),
                    Prefetch("attachments", queryset=Attachment.objects.on_timeline()),
                )
            )
        return queryset.order_by("-created_at", "-id")

    def get_serializer_class(self):
        return EventListSerializer if self.action == "list" else EventDetailSerializer

    def list(self, request, *args, **kwargs):
        """The rows are read as values and built directly (serializers.event_brief_row): a page of model
        instances with their category, center, grid and geometry costs more than its query."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(ValuesPage(queryset, *BRIEF_COLUMNS, **BRIEF_POINT))
        now, tz, labels = timezone.now(), timezone.get_current_timezone(), brief_labels()
        return self.get_paginated_response([event_brief_row(row, now, tz, labels) for row in page])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _detail_after_action(self, pk):
        """The event as the action left it. An action can take the event out of the actor's scope
        (a grid worker returning a task no longer sees it): the step has committed, so the answer
        is still the event they acted on, never a 404 or a 500 for a change that happened."""
        event = self.get_queryset().filter(pk=pk).first() or self._shaped(Event.objects.all()).get(pk=pk)
        return EventDetailSerializer(event, context=self.get_serializer_context()).data

    @extend_schema(
        request=ReportSerializer,
        responses={201: EventCreatedSerializer, 200: EventCreatedSerializer},
        extensions={"x-error-codes": [429]},  # the intake limit (wenjiang_ops.ratelimit)
    )
    def create(self, request, *args, **kwargs):
        data = request.data
        # Over the intake limit, `event_report` raises RateLimited: 429 with Retry-After (wenjiang_ops.api).
        event, created = services.event_report(
            reporter=request.user,
            category_id=data.get("category"),
            description=data.get("description"),
            lat=data.get("lat"),
            lng=data.get("lng"),
            client_id=data.get("client_id"),
            address=data.get("address", ""),
            urgent=_bool(data.get("urgent")),
            source=data.get("source") or None,
            center_id=data.get("center"),
        )
        body = EventCreatedSerializer(event, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        parameters=[
            OpenApiParameter("lat", float, required=True),
            OpenApiParameter("lng", float, required=True),
            OpenApiParameter("category", int, required=True),
            OpenApiParameter("text", str, description="The description written so far."),
        ],
        responses={200: NearbySerializer(many=True), 400: OpenApiResponse(description="bad point or category")},
    )
    @action(detail=False, filterset_class=None, pagination_class=None)
    def nearby(self, request):
        """Already reported nearby (附近已有相同上报): the open events this user may see that the
        duplicate finder would offer for a report here (events.selectors.event_duplicates), asked by
        the report page before sending. No reporter is named."""
        params = request.query_params
        errors = {}
        try:
            point = point_from_lat_lng(params.get("lat"), params.get("lng"))
        except BadCoordinates as exc:
            errors["location"] = [str(exc)]
        try:
            category = reference().categories.get(int(params.get("category")))
        except (TypeError, ValueError):
            category = None
        if category is None or not category.active:
            errors["category"] = [_("Choose a category from the list.")]
        text = (params.get("text") or "")[: services.DESCRIPTION_MAX]
        if errors:
            raise ValidationError(errors)
        draft = DuplicateDraft(category.pk, point, text, timezone.now())
        found = event_duplicates(draft, events=scope_for(request.user).events())
        return Response(NearbySerializer(found, many=True).data)

    @extend_schema(request=ActionRequestSerializer, responses={200: EventDetailSerializer, 409: OpenApiResponse()})
    @action(detail=True, methods=["post"], filterset_class=None)
    def actions(self, request, pk=None):
        """Takes one workflow action (see DESIGN.md "Event workflow")."""
        payload = ActionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        params = dict(payload.validated_data)
        try:
            services.event_transition(event_id=_int(pk), actor=request.user, **params)
        except services.EventNotFound as exc:
            raise NotFound(str(exc)) from None
        except IllegalTransition as exc:
            return _conflict(exc)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(self._detail_after_action(_int(pk)))

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY, 202: ExportJobSerializer})
    @action(detail=False, pagination_class=None)
    def export(self, request):
        """The filtered list as an Excel workbook (the same filters as the list; at most 100,000 rows).
        Up to EXPORT_SYNC_ROWS rows the file is the answer; a larger list is written in the background:
        202 with the export job (poll `/api/exports/{id}/`; the file also arrives in the inbox)."""
        queryset = self.filter_queryset(self.get_queryset())
        rows = queryset.count()
        if rows > settings.EXPORT_SYNC_ROWS:
            job = export_start(
                user=request.user, kind="events", params={"query": request.GET.urlencode()}, rows_total=rows
            )
            return Response(ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        response = HttpResponse(events_xlsx(queryset), content_type=XLSX)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="events-{stamp}.xlsx"'
        return response

    @extend_schema(responses=TimelineSerializer(many=True))
    @action(detail=True, filterset_class=None, pagination_class=None)
    def timeline(self, request, pk=None):
        """Every step of the event, oldest first."""
        event = self.get_object()
        rows = (
            EventAction.objects.filter(event=event)
            .select_related("actor", "actor_center", "actor_department")
            .defer("actor_center__boundary")  # one polygon per row otherwise
            .prefetch_related("attachments")
            .order_by("created_at", "id")
        )
        return Response(TimelineSerializer(rows, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "image": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "kind": {"type": "string", "enum": ["report", "after", "other"]},
                    "reason": {"type": "string"},
                },
                "required": ["image"],
            }
        },
        responses={
            201: AttachmentSerializer(many=True),
            400: OpenApiResponse(description="no photo, or bad input"),
            403: OpenApiResponse(description="you may not add photos to this event now"),
            404: OpenApiResponse(description="no such event in your area"),
            409: OpenApiResponse(description="the event is closed (or rejected, merged)"),
            413: OpenApiResponse(description="too many photos, bytes or pixels"),
            415: OpenApiResponse(description="not a JPEG, PNG or WebP image"),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None, parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """Adds photos (`image`, repeatable; at most ATTACHMENT_MAX_FILES): one step of the timeline,
        open to whoever may act on the event now. JPEG, PNG or WebP, checked from the header before
        decoding (size, pixels), then decoded and re-encoded without metadata."""
        event_id = _int(pk)
        try:
            # The declared size first: an oversized request is refused before its body is parsed.
            check_content_length(request.META.get("CONTENT_LENGTH"))
            try:
                files = request.FILES.getlist("image") or request.FILES.getlist("images")
            except TooManyFilesSent:  # Django's own cap on file parts (DATA_UPLOAD_MAX_NUMBER_FILES)
                raise TooLarge(_("Too many files in one request.")) from None
            created = services.attachments_add(
                event_id=event_id,
                uploader=request.user,
                uploads=files,
                kind=request.data.get("kind") or "report",
                reason=request.data.get("reason") or "",
            )
        except services.EventNotFound as exc:
            raise NotFound(str(exc)) from None
        except IllegalTransition as exc:
            return _conflict(exc)
        except DjangoPermissionDenied as exc:
            # `action` tells the report page's outbox that this photo is refused, not the sign-in.
            return Response({"detail": str(exc), "action": "attach"}, status=status.HTTP_403_FORBIDDEN)
        except TooLarge as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        except NotAnImage as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
        return Response(AttachmentSerializer(created, many=True, context={"request": request}).data, status=201)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(_("No such event.")) from None


def _bool(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).lower() in {"1", "true", "yes", "on"}


class StatsSummaryView(APIView):
    """Counts and rates for a center's subtree over a period (DESIGN.md "Statistics")."""

    @extend_schema(
        parameters=[
            OpenApiParameter("center", int, description="a center in your area (default: yours)"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="first day (default: 1 January)"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="last day, included (default: today)"),
            OpenApiParameter("by", str, enum=list(SLICES), description="slice by"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        from datetime import date

        params = request.query_params
        scope = scope_for(request.user)
        today = timezone.localdate()
        errors = {}
        dates = {}
        for name, default in (("date_from", today.replace(month=1, day=1)), ("date_to", today)):
            try:
                dates[name] = date.fromisoformat(params[name]) if params.get(name) else default
            except ValueError:
                errors[name] = [_("Use a date like 2026-01-31.")]
        by = params.get("by") or None
        if by is not None and by not in SLICES:
            errors["by"] = [_("Slice by one of: %(s)s.") % {"s": ", ".join(SLICES)}]
        center = request.user.center
        if params.get("center"):
            try:
                center = scope.centers().get(pk=int(params["center"]))
            except (Center.DoesNotExist, ValueError):
                errors["center"] = [_("Choose a center in your area.")]
        if not errors and dates["date_from"] > dates["date_to"]:
            errors["date_to"] = [_("The last day comes before the first.")]
        if errors:
            raise ValidationError(errors)
        events = scope.events()
        if center is not None:
            events = events.filter(origin_center_id__in=subtree_ids(center.path))
        period = Period.from_dates(dates["date_from"], dates["date_to"])
        result = stats_summary(events, period, by=by)
        return Response(
            {
                "center": {"id": center.pk, "name": center.name, "level": center.level} if center else None,
                "date_from": dates["date_from"],
                "date_to": dates["date_to"],
                "by": by,
                **result,
            }
        )
