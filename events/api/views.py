from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.scope import scope_for
from events import services
from events.attachments import NotAnImage, TooLarge
from events.domain.states import IllegalTransition
from events.models import EventAction, EventAssignment, EventCategory

from .filters import EventFilter
from .serializers import (
    ActionRequestSerializer,
    AttachmentSerializer,
    EventCategorySerializer,
    EventDetailSerializer,
    EventListSerializer,
    ReportSerializer,
    TimelineSerializer,
)


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


class EventViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Events in the user's scope. POST reports one (idempotent by `client_id`)."""

    filterset_class = EventFilter

    def get_queryset(self):
        queryset = scope_for(self.request.user).events().select_related("category", "center", "grid")
        if self.action != "list":
            queryset = queryset.select_related("origin_center", "reporter", "assignee").prefetch_related(
                Prefetch("assignments", queryset=EventAssignment.objects.select_related("department")),
                "attachments",
            )
        return queryset.order_by("-created_at", "-id")

    def get_serializer_class(self):
        return EventListSerializer if self.action == "list" else EventDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _detail(self, pk):
        return EventDetailSerializer(self.get_queryset().get(pk=pk), context=self.get_serializer_context()).data

    @extend_schema(request=ReportSerializer, responses={201: EventDetailSerializer, 200: EventDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = request.data
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
        return Response(self._detail(event.pk), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

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
        return Response(self._detail(pk))

    @extend_schema(responses=TimelineSerializer(many=True))
    @action(detail=True, filterset_class=None, pagination_class=None)
    def timeline(self, request, pk=None):
        """Every step of the event, oldest first."""
        event = self.get_object()
        rows = (
            EventAction.objects.filter(event=event)
            .select_related("actor", "actor_center", "actor_department")
            .prefetch_related("attachments")
            .order_by("created_at", "id")
        )
        return Response(TimelineSerializer(rows, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"image": {"type": "string", "format": "binary"}, "kind": {"type": "string"}},
            }
        },
        responses={201: AttachmentSerializer(many=True), 413: OpenApiResponse(), 415: OpenApiResponse()},
    )
    @action(detail=True, methods=["post"], filterset_class=None, parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """Adds photos (`image`, repeatable). Images only, checked by decoding; metadata removed."""
        files = request.FILES.getlist("image") or request.FILES.getlist("images")
        if not files:
            raise ValidationError({"image": [_("Attach at least one photo.")]})
        kind = request.data.get("kind", "report")
        created = []
        for upload in files:
            try:
                created.append(
                    services.attachment_add(event_id=_int(pk), uploader=request.user, upload=upload, kind=kind)
                )
            except services.EventNotFound as exc:
                raise NotFound(str(exc)) from None
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
