"""The Open311 GeoReport v2 endpoints (/open311/v2/…) and the 12345 hotline's (/api/hotline/…).

Plain Django views: each parses the request, calls one service, and renders the answer in the
format the URL asks (.json or .xml); errors as the spec writes them (Open311) or as the API's
contract does (hotline: {"detail", "errors"})."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from events.domain.states import IllegalTransition
from wenjiang_ops.ratelimit import RateLimited

from . import hotline, open311, signing
from .models import HotlineOrder

XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"


def _render(fmt: str, root: str, value, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(open311.to_xml(root, value), content_type=XML, status=status)
    body = json.dumps(value, ensure_ascii=False)
    return HttpResponse(body, content_type=JSON, status=status)


def _error(fmt: str, exc: open311.Open311Error) -> HttpResponse:
    return _render(fmt, "errors", [{"code": exc.code, "description": exc.description}], status=exc.code)


def _jurisdiction(request) -> None:
    given = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    if given and given != settings.OPEN311_JURISDICTION:
        raise open311.Open311Error(
            404, _("Unknown jurisdiction_id: this endpoint serves %(j)s.") % {"j": settings.OPEN311_JURISDICTION}
        )


def _client_if_keyed(request):
    key = request.GET.get("api_key")
    return open311.client_for_key(key) if key else None


@require_GET
def discovery(request, fmt: str):
    base = request.build_absolute_uri("/open311/v2/")
    return _render(fmt, "discovery", open311.discovery(base))


@require_GET
def services(request, fmt: str):
    try:
        _jurisdiction(request)
        return _render(fmt, "services", open311.services_list())
    except open311.Open311Error as exc:
        return _error(fmt, exc)


@require_GET
def service_definition(request, code: str, fmt: str):
    try:
        _jurisdiction(request)
        return _render(fmt, "service_definition", open311.service_definition(code))
    except open311.Open311Error as exc:
        return _error(fmt, exc)


@csrf_exempt  # an API for other applications, authenticated by api_key, never by a browser session
@require_http_methods(["GET", "POST"])
def requests(request, fmt: str):
    try:
        _jurisdiction(request)
        if request.method == "POST":
            client = open311.client_for_key(request.POST.get("api_key"))
            try:
                created = open311.request_create(request.POST, client=client)
            except RateLimited as exc:
                response = _error(fmt, open311.Open311Error(429, str(exc.message)))
                response["Retry-After"] = str(exc.retry_after)
                return response
            return _render(fmt, "service_requests", created, status=201)
        return _render(fmt, "service_requests", open311.requests_list(request.GET, client=_client_if_keyed(request)))
    except open311.Open311Error as exc:
        return _error(fmt, exc)


@require_GET
def request_detail(request, request_id: str, fmt: str):
    try:
        _jurisdiction(request)
        return _render(fmt, "service_requests", open311.request_get(request_id, client=_client_if_keyed(request)))
    except open311.Open311Error as exc:
        return _error(fmt, exc)


@require_GET
def token(request, token: str, fmt: str):
    try:
        _jurisdiction(request)
        return _render(fmt, "service_requests", open311.token_get(token))
    except open311.Open311Error as exc:
        return _error(fmt, exc)


# --- the 12345 hotline ----------------------------------------------------------------------------------


def _signed_json(request):
    """The body, once its signature is checked; (payload, None) or (None, error response)."""
    try:
        signing.verify(
            settings.HOTLINE_SECRET,
            request.body,
            request.headers.get(signing.TIMESTAMP_HEADER),
            request.headers.get(signing.SIGNATURE_HEADER),
        )
    except signing.BadSignature as exc:
        return None, JsonResponse({"detail": str(exc)}, status=401)
    try:
        return json.loads(request.body.decode("utf-8")), None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, JsonResponse(
            {"detail": _("The body is not JSON."), "errors": {"body": [_("Send UTF-8 JSON.")]}}, status=400
        )


def _invalid(exc: ValidationError) -> JsonResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"body": exc.messages}
    return JsonResponse({"detail": _("The work order is not valid."), "errors": errors}, status=400)


@csrf_exempt
@require_POST
def hotline_order(request):
    """POST /api/hotline/orders/: a work order in (docs/hotline-12345.md)."""
    payload, refused = _signed_json(request)
    if refused:
        return refused
    try:
        order, created = hotline.order_receive(payload=payload)
    except ValidationError as exc:
        return _invalid(exc)
    except RateLimited as exc:
        response = JsonResponse({"detail": str(exc.message)}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return JsonResponse(
        hotline.order_answer(order), status=201 if created else 200, json_dumps_params={"ensure_ascii": False}
    )


@csrf_exempt
@require_POST
def hotline_satisfaction(request):
    """POST /api/hotline/satisfaction/: the citizen's rating from the hotline's return call."""
    payload, refused = _signed_json(request)
    if refused:
        return refused
    try:
        order = hotline.satisfaction_receive(payload=payload)
    except ValidationError as exc:
        return _invalid(exc)
    except HotlineOrder.DoesNotExist:
        return JsonResponse({"detail": _("No such work order.")}, status=404)
    except IllegalTransition:
        return JsonResponse({"detail": _("The event is not closed yet: a rating comes after the closure.")}, status=409)
    return JsonResponse(
        {
            "order_no": order.number,
            "event_number": order.event.number,
            "rating": order.rating,
            "satisfied": order.event.satisfied,
        },
        json_dumps_params={"ensure_ascii": False},
    )
