"""The care API (v1): thin views over care.services and care.selectors, visibility by
accounts.scope (Scope.special_people). A person outside the user's scope is 404, a status that does
not allow the action 409, an action the user may not take 403, bad input 400 with field errors.
Lists mask names; each detail answer writes a PersonView row (via "api")."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.scope import scope_for
from events.attachments import NotAnImage, TooLarge

from .. import selectors, services, transfer
from ..choices import Via
from ..domain.rules import IllegalTransition
from ..models import CareAction, HelperMember, Visit, VisitPhoto, VisitRule
from .filters import PersonFilter
from .serializers import (
    ActionInputSerializer,
    CareActionSerializer,
    CountsSerializer,
    ImportResultSerializer,
    PersonDetailSerializer,
    PersonInputSerializer,
    PersonListSerializer,
    PersonViewSerializer,
    VisitInputSerializer,
    VisitRuleSerializer,
    VisitSerializer,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict"


@contextmanager
def _answers():
    """The services' refusals as the API's answers (ValidationError: wenjiang_ops.api's handler)."""
    try:
        yield
    except services.PersonNotFound as exc:
        raise NotFound(str(exc)) from None
    except IllegalTransition as exc:
        raise Conflict(
            {
                "detail": _("This is not possible while the person's status is “%(status)s”.") % {"status": exc.status},
                "status": exc.status,
                "action": exc.action,
            }
        ) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None


def _visible_or_404(request, pk):
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such person in your care.")) from None
    person = (
        scope_for(request.user)
        .special_people()
        .filter(pk=number)
        .select_related("center", "grid", "department")
        .defer("center__boundary", "grid__boundary")
        .prefetch_related("workers", Prefetch("team", queryset=HelperMember.objects.order_by("id")))
        .first()
    )
    if person is None:
        raise NotFound(_("No such person in your care."))
    return person


class PersonViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Special-population persons (四类特殊人群) the user may see. Need-to-know: assigned grid workers
    and helping-team members their own persons, the responsible department's staff those of its
    area, center roles only with the permission care.view_special_people; volunteers and mediators
    none."""

    serializer_class = PersonListSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PersonFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.person_list(self.request.user).order_by("due_at", "id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(responses={200: PersonDetailSerializer, 404: OpenApiResponse(description="not in your care")})
    def retrieve(self, request, pk=None):
        """One person, named in full: the answer is written to the view log (who, when, `reason`)."""
        person = _visible_or_404(request, pk)
        services.person_view_log(
            person=person,
            user=request.user,
            via=Via.API,
            path=request.path,
            reason=request.query_params.get("reason", ""),
        )
        return Response(PersonDetailSerializer(person, context=self.get_serializer_context()).data)

    @extend_schema(request=PersonInputSerializer, responses={201: PersonDetailSerializer, 403: OpenApiResponse()})
    def create(self, request):
        """A new record (the responsible department's staff, authorised center staff, admins)."""
        serializer = PersonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {**serializer.validated_data}
        data["team"] = [dict(m) for m in data.get("team", [])]
        with _answers():
            person = services.person_create(actor=request.user, data=data)
        person = _visible_or_404(request, person.pk)
        services.person_view_log(person=person, user=request.user, via=Via.API, path=request.path)
        return Response(PersonDetailSerializer(person, context=self.get_serializer_context()).data, status=201)

    @extend_schema(responses={200: CountsSerializer})
    @action(detail=False, methods=["get"])
    def counts(self, request):
        """Counts over the filtered list: all, in care, lost contact, overdue, per type."""
        queryset = self.filter_queryset(self.get_queryset())
        return Response(selectors.person_counts(queryset))

    @extend_schema(
        methods=["get"], responses={200: VisitSerializer(many=True)}, description="The person's visits, newest first."
    )
    @extend_schema(
        methods=["post"],
        request={"application/json": VisitInputSerializer, "multipart/form-data": VisitInputSerializer},
        responses={
            201: VisitSerializer,
            200: OpenApiResponse(VisitSerializer, description="the same client_id again: the visit first recorded"),
            409: OpenApiResponse(description="the record is ended"),
            413: OpenApiResponse(description="photos too large"),
            415: OpenApiResponse(description="not an image"),
        },
        description="Record a visit from the phone (idempotent by client_id).",
    )
    @action(detail=True, methods=["get", "post"])
    def visits(self, request, pk=None):
        if request.method == "GET":
            person = _visible_or_404(request, pk)
            services.person_view_log(person=person, user=request.user, via=Via.API, path=request.path)
            rows = (
                Visit.objects.filter(person=person)
                .select_related("visitor")
                .prefetch_related(Prefetch("photos", queryset=VisitPhoto.objects.only("id", "visit_id")))
            )
            page = self.paginate_queryset(rows)
            return self.get_paginated_response(VisitSerializer(page, many=True).data)
        serializer = VisitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with _answers():
                visit, created = services.visit_record(
                    person_id=pk,
                    actor=request.user,
                    method=data["method"],
                    found=data.get("found", True),
                    findings=data.get("findings", ""),
                    visited_at=data.get("visited_at"),
                    lat=data.get("lat"),
                    lng=data.get("lng"),
                    photos=request.FILES.getlist("photos"),
                    client_id=data.get("client_id"),
                    corrects_id=data.get("corrects"),
                )
        except TooLarge as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        except NotAnImage as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
        visit = Visit.objects.select_related("visitor").prefetch_related("photos").get(pk=visit.pk)
        return Response(VisitSerializer(visit).data, status=201 if created else 200)

    @extend_schema(
        request=ActionInputSerializer,
        responses={200: PersonDetailSerializer, 403: OpenApiResponse(), 409: OpenApiResponse()},
    )
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        """risk (with `risk` and `reason`), lost_contact (the urgent alarm), found, end (with
        `end_reason`), assign (`workers` and/or `team`)."""
        serializer = ActionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with _answers():
            services.person_action(
                person_id=pk,
                actor=request.user,
                action=data["action"],
                reason=data.get("reason", ""),
                risk=data.get("risk"),
                end_reason=data.get("end_reason"),
                workers=data.get("workers"),
                team=[dict(m) for m in data["team"]] if "team" in data else None,
            )
        person = _visible_or_404(request, pk)
        return Response(PersonDetailSerializer(person, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: CareActionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        person = _visible_or_404(request, pk)
        services.person_view_log(person=person, user=request.user, via=Via.API, path=request.path)
        rows = CareAction.objects.filter(person=person).select_related("actor").order_by("created_at", "id")
        return Response(CareActionSerializer(rows, many=True).data)

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses={201: ImportResultSerializer, 400: ImportResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_xlsx(self, request):
        """Import persons from an .xlsx: all rows or none; 400 with every row's errors (row, field, message)."""
        from ..views import _may_import

        if not _may_import(request.user):
            raise PermissionDenied(_("You may not import persons."))
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"file": [_("Choose an .xlsx file.")]}, status=400)
        with _answers():
            result = transfer.import_xlsx(actor=request.user, upload=upload)
        return Response(result, status=201 if not result["errors"] else 400)

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        """The filtered list as .xlsx, names and ID numbers masked; each row written to the view log."""
        queryset = self.filter_queryset(self.get_queryset())
        content = transfer.export_xlsx(user=request.user, queryset=queryset, path=request.path)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="special-people.xlsx"'
        return response


class ViewLogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The log of every view of a person's record (administrators only)."""

    serializer_class = PersonViewSerializer

    def get_queryset(self):
        if not scope_for(self.request.user).everything:
            raise PermissionDenied(_("Only administrators read the view log."))
        person = self.request.query_params.get("person")
        user = self.request.query_params.get("user")
        return selectors.view_log(
            person_id=int(person) if person and person.isdigit() else None,
            user_id=int(user) if user and user.isdigit() else None,
        )

    @extend_schema(
        parameters=[OpenApiParameter("person", int), OpenApiParameter("user", int)],
        responses={200: PersonViewSerializer(many=True), 403: OpenApiResponse()},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class VisitRuleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The visit rules (type × risk level → every N days); administrators edit them in the admin."""

    serializer_class = VisitRuleSerializer
    queryset = VisitRule.objects.order_by("person_type", "risk")
    pagination_class = None
