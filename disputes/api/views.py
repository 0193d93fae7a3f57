"""The disputes API (v1): thin views over `disputes.services`, visibility by `accounts.scope`.

Every answer follows the API's error contract (DESIGN.md "API v1"): a case outside the user's scope
is 404, an action the case's state does not allow 409, one the user may not take 403, bad input 400
with field errors. The parties' personal data is shown only to whoever `services.may_see_parties`
allows, and each showing writes one CaseView (the log an administrator reads)."""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousFileOperation
from django.db.models import Prefetch
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scope import scope_for
from disputes import selectors, services
from disputes.choices import Action, State
from disputes.domain.states import IllegalTransition
from disputes.forms import STATS_SLICES, quarter_query, stats_center, stats_query
from disputes.models import (
    Dispute,
    DisputeAction,
    DisputeMediator,
    DisputeType,
    Document,
    FollowUp,
    Investigation,
    RepeatLink,
    Session,
)
from wenjiang_ops.api import ListedCenterMixin, ValuesPage

from .filters import DisputeFilter
from .serializers import (
    BRIEF_COLUMNS,
    ID_MAX,
    ConfirmationInputSerializer,
    ConfirmationSerializer,
    DisputeActionRequestSerializer,
    DisputeCreatedSerializer,
    DisputeDetailSerializer,
    DisputeLedgerSerializer,
    DisputeListSerializer,
    DisputeReportSerializer,
    DisputeStatsSerializer,
    DisputeTimelineSerializer,
    DisputeTypeSerializer,
    DocumentInputSerializer,
    DocumentSerializer,
    FollowUpInputSerializer,
    FollowUpSerializer,
    InvestigationInputSerializer,
    InvestigationSerializer,
    ObligationSerializer,
    SessionInputSerializer,
    SessionSerializer,
    dispute_brief_row,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCAN_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
FILE_FORMATS = ("pdf", "docx", "scan")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict"


def _conflict(exc: IllegalTransition) -> Conflict:
    message = exc.message or _("“%(action)s” is not possible while the dispute is “%(state)s”.") % {
        "action": Action(exc.action).label,
        "state": State(exc.state).label,
    }
    return Conflict({"detail": message, "state": exc.state.value, "action": exc.action.value})


@contextmanager
def _service_answers():
    """The services' refusals as the API's answers (ValidationError: wenjiang_ops.api's handler)."""
    try:
        yield
    except services.DisputeNotFound as exc:
        raise NotFound(str(exc)) from None
    except IllegalTransition as exc:
        raise _conflict(exc) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None


def _pk(value) -> int:
    """An id from the path: anything but a positive number the database can hold is not found."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound(_("No such dispute in your area.")) from None
    if not 1 <= number <= ID_MAX:
        raise NotFound(_("No such dispute in your area."))
    return number


def _given(serializer, data) -> dict:
    """The validated fields the client sent (not the serializer's defaults): a service tells apart
    a field left out from one given."""
    return {k: v for k, v in serializer.validated_data.items() if k in data}


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer


class _IgnoreFormat(BaseContentNegotiation):
    """The file endpoint's `?format=` names the file, not a renderer: always the first (JSON, for
    the errors); the file itself is not rendered."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _document_response(field, content_type: str) -> HttpResponse:
    """Streams a stored document (or hands it to nginx: X-Accel-Redirect, as events.media does for
    photos). Personal data: never cached by a shared cache, downloaded rather than shown inline."""
    name = field.name
    try:
        field.storage.path(name)  # refuses a name outside MEDIA_ROOT
    except (SuspiciousFileOperation, ValueError):
        raise NotFound(_("No such document.")) from None
    if settings.MEDIA_ACCEL_REDIRECT:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_PREFIX + quote(name)
    else:
        try:
            response = FileResponse(field.storage.open(name, "rb"), content_type=content_type)
        except FileNotFoundError:
            raise NotFound(_("No such document.")) from None
    response["Content-Disposition"] = f'attachment; filename="{quote(name.rsplit("/", 1)[-1])}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


NOT_FOUND = OpenApiResponse(description="no such dispute in your area")
CONFLICT = OpenApiResponse(description="the dispute's state does not allow this (`detail`, `state`, `action`)")
FORBIDDEN = OpenApiResponse(description="you may not do this on this dispute")
PERSONAL = OpenApiResponse(description="the records hold the parties' personal data: mediators and center staff only")
OID = OpenApiParameter("oid", int, OpenApiParameter.PATH, description="an obligation of the agreement")
DOC = OpenApiParameter("doc", int, OpenApiParameter.PATH, description="a document of the dispute")


def _area_reader(request):
    """The scope of a user who reads an area's statistics and ledger (403 for anyone else)."""
    scope = scope_for(request.user)
    if not selectors.reads_dispute_area(scope):
        raise PermissionDenied(_("Dispute statistics are for center staff and mediators."))
    return scope


AREA_FORBIDDEN = OpenApiResponse(description="your role does not read an area's dispute statistics")
CENTER_NOT_FOUND = OpenApiResponse(description="no such center in your area")
CENTER = OpenApiParameter("center", int, description="a center in your area: its whole subtree (default: yours)")


def _multipart(**properties) -> dict:
    required = [name for name, spec in properties.items() if spec.pop("required", False)]
    return {"multipart/form-data": {"type": "object", "properties": properties, "required": required}}


class DisputeTypeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active dispute types (a two-level tree: `parent`)."""

    serializer_class = DisputeTypeSerializer
    pagination_class = None
    queryset = DisputeType.objects.filter(active=True).order_by("order", "code")


# The columns a list row (serializers.dispute_brief) does not show: not read.
LIST_UNSHOWN = (
    "facts",
    "claims",
    "agreement_terms",
    "responsibility",
    "risk_plan",
    "outcome_reason",
    "location",
    "signals",
    "performance_method",
    "performance_place",
)


class DisputeViewSet(ListedCenterMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Disputes in the user's scope. POST takes one in (idempotent by `client_id`)."""

    filterset_class = DisputeFilter

    def get_queryset(self):
        scope = scope_for(self.request.user)
        center = self.listed_center(scope)
        queryset = scope.disputes_in(center) if center is not None else scope.disputes()
        queryset = queryset.select_related("type__parent", "center").defer("center__boundary")
        if self.action == "list":  # a row shows none of the long texts, nor the place
            queryset = queryset.defer(*LIST_UNSHOWN)
        return queryset.order_by("-created_at", "-id")

    def get_serializer_class(self):
        if self.action == "list":
            return DisputeListSerializer
        if self.action == "create":
            return DisputeReportSerializer
        return DisputeDetailSerializer

    @extend_schema(
        parameters=[CENTER],
        responses={200: DisputeLedgerSerializer(many=True), 403: AREA_FORBIDDEN, 404: CENTER_NOT_FOUND},
    )
    @action(detail=False, filterset_class=None)
    def ledger(self, request):
        """The stability ledger (维稳台账): the open group and major cases (50 or more people, orange
        or red risk, or the group signal) of a center's subtree, newest first. No personal data."""
        scope = _area_reader(request)
        center = stats_center(request.query_params, request.user, scope)
        rows = selectors.stability_ledger(scope=scope, center=center).defer("center__boundary", "location")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DisputeLedgerSerializer(page, many=True).data)

    # --- one case ------------------------------------------------------------------------------------

    def _case(self, pk) -> Dispute:
        """The case, if in the user's scope (404 otherwise), without its relations."""
        dispute = scope_for(self.request.user).disputes().filter(pk=_pk(pk)).select_related("center").first()
        if dispute is None:
            raise NotFound(_("No such dispute in your area."))
        return dispute

    def _detailed(self, pk) -> Dispute:
        """The case with everything the detail shows, in a fixed number of queries. A case the step
        just took out of the actor's scope is still answered (the step has committed)."""
        queryset = (
            Dispute.objects.filter(pk=pk)
            .select_related("type__parent", "center", "origin_center", "grid", "reporter", "confirmation")
            .defer("center__boundary", "origin_center__boundary", "grid__boundary")
            .prefetch_related(
                Prefetch("mediator_rows", queryset=DisputeMediator.objects.select_related("user").order_by("id")),
                "sessions",
                "obligations",
                Prefetch("follow_ups", queryset=FollowUp.objects.select_related("visitor")),
                Prefetch("repeat_links", queryset=RepeatLink.objects.select_related("earlier").order_by("earlier_id")),
            )
        )
        return queryset.get()

    def _detail(self, dispute: Dispute) -> dict:
        """The detail's body. The parties only to whoever may see them, logged first: personal
        data is never shown unlogged (a failure to log is a failure of the request)."""
        user = self.request.user
        show = services.may_see_parties(user, dispute)
        if show:
            services.case_view_log(dispute=dispute, user=user, via="api")
        context = {**self.get_serializer_context(), "show_parties": show}
        return DisputeDetailSerializer(dispute, context=context).data

    def _personal(self, dispute: Dispute) -> None:
        """Records of what the parties said (sessions, investigations) are personal data: shown as
        the parties are, and logged."""
        if not services.may_see_parties(self.request.user, dispute):
            raise PermissionDenied(_("These records hold the parties' personal data."))
        services.case_view_log(dispute=dispute, user=self.request.user, via="api")

    @extend_schema(
        responses={
            200: DisputeDetailSerializer,
            404: NOT_FOUND,
        }
    )
    def retrieve(self, request, pk=None):
        """A case. `parties` is null unless you may see the parties (mediators and center staff);
        each answer that shows them is logged."""
        dispute = self._case(pk)
        return Response(self._detail(self._detailed(dispute.pk)))

    @extend_schema(
        request=DisputeReportSerializer,
        responses={201: DisputeCreatedSerializer, 200: DisputeCreatedSerializer, 403: FORBIDDEN},
    )
    def create(self, request, *args, **kwargs):
        """Takes a dispute in (`client_id`: a UUID made by the client; the same one again answers
        200 with the case made the first time, never a second case)."""
        data = _valid(DisputeReportSerializer, request).validated_data
        with _service_answers():
            dispute, created = services.dispute_report(
                reporter=request.user,
                type_id=data["type"],
                title=data["title"],
                facts=data["facts"],
                claims=data.get("claims", ""),
                lat=data["lat"],
                lng=data["lng"],
                address=data.get("address", ""),
                amount=data.get("amount"),
                people=data.get("people", 2),
                intake=data["intake"],
                intake_reference=data.get("intake_reference", ""),
                signals=data.get("signals", ()),
                center_id=data.get("center"),
                event_id=data.get("event"),
                client_id=data["client_id"],
                parties=[dict(p) for p in data["parties"]],
            )
        dispute = Dispute.objects.select_related("type__parent", "center").get(pk=dispute.pk)
        body = DisputeCreatedSerializer(dispute).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request=DisputeActionRequestSerializer,
        responses={200: DisputeDetailSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], filterset_class=None, parser_classes=[JSONParser])
    def actions(self, request, pk=None):
        """Takes one workflow action (disputes.domain.states) with its fields
        (services.ACTION_PARAMS); answers with the case as the action left it."""
        payload = _valid(DisputeActionRequestSerializer, request)
        params = _given(payload, request.data)
        action_name = params.pop("action")
        if "obligations" in params:
            params["obligations"] = [dict(o) for o in params["obligations"]]
        with _service_answers():
            dispute = services.dispute_transition(dispute_id=_pk(pk), action=action_name, actor=request.user, **params)
        return Response(self._detail(self._detailed(dispute.pk)))

    @extend_schema(responses={200: DisputeTimelineSerializer(many=True), 404: NOT_FOUND})
    @action(detail=True, filterset_class=None, pagination_class=None)
    def timeline(self, request, pk=None):
        """Every step of the case, oldest first."""
        dispute = self._case(pk)
        rows = (
            DisputeAction.objects.filter(dispute=dispute)
            .select_related("actor", "actor_center", "center")
            .defer("actor_center__boundary", "center__boundary")
            .order_by("created_at", "id")
        )
        return Response(DisputeTimelineSerializer(rows, many=True).data)

    # --- sessions and records --------------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        responses={200: SessionSerializer(many=True), 403: PERSONAL, 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        request=SessionInputSerializer,
        responses={201: SessionSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filterset_class=None,
        pagination_class=None,
        parser_classes=[JSONParser],
    )
    def sessions(self, request, pk=None):
        """GET: the sessions, planned and held, with their records (personal data: logged).
        POST: plans a session (`held`: false) or records one held, new or planned (`session`)."""
        if request.method == "GET":
            dispute = self._case(pk)
            self._personal(dispute)
            rows = Session.objects.filter(dispute=dispute).prefetch_related("mediators").order_by("starts_at", "id")
            return Response(SessionSerializer(rows, many=True).data)
        data = _valid(SessionInputSerializer, request).validated_data
        with _service_answers():
            session = services.session_record(
                dispute_id=_pk(pk),
                actor=request.user,
                starts_at=data["starts_at"],
                ends_at=data.get("ends_at"),
                place=data["place"],
                mediators=data.get("mediators") or (),
                attendees=data.get("attendees", ""),
                notes=data.get("notes", ""),
                held=data.get("held", True),
                session_id=data.get("session"),
            )
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        responses={200: InvestigationSerializer(many=True), 403: PERSONAL, 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        request=InvestigationInputSerializer,
        responses={201: InvestigationSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filterset_class=None,
        pagination_class=None,
        parser_classes=[JSONParser],
    )
    def investigations(self, request, pk=None):
        """GET: the investigation records (personal data: logged). POST: records one (调查笔录)."""
        if request.method == "GET":
            dispute = self._case(pk)
            self._personal(dispute)
            rows = Investigation.objects.filter(dispute=dispute).select_related("recorded_by").order_by("at", "id")
            return Response(InvestigationSerializer(rows, many=True).data)
        data = _valid(InvestigationInputSerializer, request).validated_data
        with _service_answers():
            record = services.investigation_record(
                dispute_id=_pk(pk),
                actor=request.user,
                interviewed=data["interviewed"],
                at=data["at"],
                place=data.get("place", ""),
                content=data["content"],
            )
        return Response(InvestigationSerializer(record).data, status=status.HTTP_201_CREATED)

    # --- after the agreement ---------------------------------------------------------------------------

    @extend_schema(
        request=FollowUpInputSerializer,
        responses={201: FollowUpSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="follow-ups",
        url_name="follow-ups",
        filterset_class=None,
        parser_classes=[JSONParser],
    )
    def follow_ups(self, request, pk=None):
        """Records a follow-up visit (回访): the planned one (`follow_up`, default the earliest) or
        an extra one; `next_due` plans another."""
        data = _valid(FollowUpInputSerializer, request).validated_data
        with _service_answers():
            visit = services.follow_up_record(
                dispute_id=_pk(pk),
                actor=request.user,
                visited_at=data["visited_at"],
                method=data["method"],
                performance=data["performance"],
                satisfaction=data.get("satisfaction", ""),
                new_risks=data.get("new_risks", ""),
                notes=data.get("notes", ""),
                follow_up_id=data.get("follow_up"),
                next_due=data.get("next_due"),
            )
        return Response(FollowUpSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OID],
        request=None,
        responses={200: ObligationSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"obligations/(?P<oid>[^/.]+)/perform",
        url_name="obligation-perform",
        filterset_class=None,
    )
    def obligation_perform(self, request, pk=None, oid=None):
        """Records one obligation of the agreement as performed."""
        with _service_answers():
            obligation = services.obligation_perform(dispute_id=_pk(pk), actor=request.user, obligation_id=_pk(oid))
        return Response(ObligationSerializer(obligation).data)

    @extend_schema(
        request=ConfirmationInputSerializer,
        responses={200: ConfirmationSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["put"], filterset_class=None, parser_classes=[JSONParser])
    def confirmation(self, request, pk=None):
        """Records the judicial confirmation (司法确认) of the written agreement as it stands now:
        the application, the court's acceptance, the ruling (final)."""
        data = _valid(ConfirmationInputSerializer, request).validated_data
        with _service_answers():
            record = services.confirmation_record(
                dispute_id=_pk(pk),
                actor=request.user,
                applied_on=data["applied_on"],
                court=data["court"],
                case_number=data.get("case_number", ""),
                accepted_on=data.get("accepted_on"),
                ruling=data.get("ruling", ""),
                ruled_on=data.get("ruled_on"),
                extended=data.get("extended", False),
            )
        return Response(ConfirmationSerializer(record).data)

    # --- documents and files -------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: DocumentSerializer(many=True), 404: NOT_FOUND})
    @extend_schema(
        methods=["POST"],
        request=DocumentInputSerializer,
        responses={201: DocumentSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filterset_class=None,
        pagination_class=None,
        parser_classes=[JSONParser],
    )
    def documents(self, request, pk=None):
        """GET: every version of the case's documents (the files themselves: `…/file/`).
        POST: generates the agreement (调解协议书) or a session's record (调解笔录) as PDF and .docx."""
        if request.method == "GET":
            dispute = self._case(pk)
            rows = Document.objects.filter(dispute=dispute).order_by("kind", "session_id", "version", "id")
            return Response(DocumentSerializer(rows, many=True).data)
        data = _valid(DocumentInputSerializer, request).validated_data
        with _service_answers():
            doc = services.document_generate(
                dispute_id=_pk(pk), actor=request.user, kind=data["kind"], session_id=data.get("session")
            )
        return Response(DocumentSerializer(doc).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[DOC],
        request=_multipart(scan={"type": "string", "format": "binary", "required": True}),
        responses={201: DocumentSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"documents/(?P<doc>[^/.]+)/sign",
        url_name="document-sign",
        filterset_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def document_sign(self, request, pk=None, doc=None):
        """Stores the signed scan (`scan`: PDF, JPEG or PNG, at most 20 MB) of a generated document
        as its next version, immutable from then on."""
        with _service_answers():
            signed = services.document_sign(
                dispute_id=_pk(pk), actor=request.user, document_id=_pk(doc), scan=request.FILES.get("scan")
            )
        return Response(DocumentSerializer(signed).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            DOC,
            OpenApiParameter(
                "format", str, enum=list(FILE_FORMATS), description="which file (default: the PDF, else the scan)"
            ),
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, DOCX): OpenApiTypes.BINARY,
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="no such document or file, or you may not see the parties' data"),
        },
    )
    @action(
        detail=True,
        url_path=r"documents/(?P<doc>[^/.]+)/file",
        url_name="document-file",
        filterset_class=None,
        pagination_class=None,
        content_negotiation_class=_IgnoreFormat,
    )
    def document_file(self, request, pk=None, doc=None):
        """A document's file. It holds the parties' personal data: only for whoever may see them
        (404 otherwise), and each download is logged."""
        dispute = self._case(pk)
        if not services.may_see_parties(request.user, dispute):
            raise NotFound(_("No such document."))
        document = Document.objects.filter(dispute=dispute, pk=_pk(doc)).first()
        if document is None:
            raise NotFound(_("No such document."))
        fmt = request.query_params.get("format") or ("pdf" if document.pdf else "scan")
        if fmt not in FILE_FORMATS:
            raise ValidationError({"format": [_("Choose one of: %(values)s.") % {"values": ", ".join(FILE_FORMATS)}]})
        field = getattr(document, fmt)
        if not field:
            raise NotFound(_("This document has no such file."))
        if fmt == "pdf":
            content_type = "application/pdf"
        elif fmt == "docx":
            content_type = DOCX
        else:
            content_type = SCAN_TYPES.get(field.name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
        services.case_view_log(dispute=dispute, user=request.user, via="document")
        return _document_response(field, content_type)

    @extend_schema(
        request=_multipart(
            file={"type": "string", "format": "binary", "required": True},
            session={"type": "integer", "description": "a session of the dispute"},
        ),
        responses={201: DocumentSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], filterset_class=None, parser_classes=[MultiPartParser, FormParser])
    def files(self, request, pk=None):
        """Adds a photo or a scan (`file`: PDF, JPEG or PNG, at most 20 MB) to the case or to one
        of its sessions (`session`)."""
        with _service_answers():
            document = services.file_attach(
                dispute_id=_pk(pk),
                actor=request.user,
                upload=request.FILES.get("file"),
                session_id=request.data.get("session") or None,
            )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    def list(self, request, *args, **kwargs):
        """The rows are read as values and built directly (serializers.dispute_brief_row): a page of
        model instances with their type, parent type and center cost more than its query."""
        page = self.paginate_queryset(ValuesPage(self.filter_queryset(self.get_queryset()), *BRIEF_COLUMNS))
        return self.get_paginated_response([dispute_brief_row(row) for row in page])


class DisputeStatsView(APIView):
    """The dispute statistics of a center's subtree over a period (disputes.selectors.dispute_stats:
    each rate with the names of its numerator and denominator, each figure's definition beside)."""

    @extend_schema(
        parameters=[
            CENTER,
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="first day (default: 1 January)"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="last day, included (default: today)"),
            OpenApiParameter("by", str, enum=list(STATS_SLICES), description="slice by"),
        ],
        responses={200: DisputeStatsSerializer, 403: AREA_FORBIDDEN, 404: CENTER_NOT_FOUND},
    )
    def get(self, request):
        """Cases taken in during the period (at most five years), first taken in within the center's
        subtree: taken in, mediated, successful … and the rates, optionally sliced `by`."""
        scope = _area_reader(request)
        query = stats_query(request.query_params, request.user, scope)
        result = selectors.dispute_stats(
            scope=scope, center=query.center, date_from=query.date_from, date_to=query.date_to, by=query.by
        )
        center = query.center
        body = {
            "center": {"id": center.pk, "name": center.name, "level": center.level} if center else None,
            "date_from": query.date_from,
            "date_to": query.date_to,
            "by": request.query_params.get("by") or None,
            "definitions": result["definitions"],
            "totals": result["totals"],
            "slices": result["slices"].get(query.by[0], []) if query.by else [],
        }
        return Response(DisputeStatsSerializer(body).data)


class DisputeQuarterlyView(APIView):
    """The quarter's 四川省矛盾纠纷排查调处情况统计表 of a center's subtree, as an Excel workbook."""

    @extend_schema(
        parameters=[
            CENTER,
            OpenApiParameter("year", int, description="2000 to 2100 (default: this year)"),
            OpenApiParameter("quarter", int, enum=[1, 2, 3, 4], description="default: this quarter"),
        ],
        responses={(200, XLSX): OpenApiTypes.BINARY, 403: AREA_FORBIDDEN, 404: CENTER_NOT_FOUND},
    )
    def get(self, request):
        """The form by the statistics' definitions: per top-level type and level, the cases taken
        in, mediated and successful, and the success rate."""
        scope = _area_reader(request)
        year, quarter = quarter_query(request.query_params)
        center = stats_center(request.query_params, request.user, scope)
        if center is None:  # an administrator without a center: the root, the whole deployment
            center = scope.centers().defer("boundary").filter(parent__isnull=True).order_by("path").first()
            if center is None:
                raise NotFound(_("No such center in your area."))
        body = selectors.quarterly_xlsx(scope=scope, center=center, year=year, quarter=quarter)
        response = HttpResponse(body, content_type=XLSX)
        name = f"disputes-{center.code}-{year}Q{quarter}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
