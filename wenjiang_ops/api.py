"""Shared REST pieces: pagination and the JSON error contract of DESIGN.md ("API v1")."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .ratelimit import RateLimited


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


def not_found(request, exception=None):
    """The 404 of a URL that matches no route: JSON under /api/ (the API's error contract), the
    site's page elsewhere."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError answered as 400 instead of 500, and a rate
    limit (wenjiang_ops.ratelimit) as 429 with Retry-After."""
    if isinstance(exc, RateLimited):
        return Response(
            {"detail": exc.message},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


# --- the error contract in the schema -----------------------------------------------------------------

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": 'An error: `{"detail": ...}`, or for bad input one entry per field, each a list of messages.',
    "properties": {
        "detail": {
            "description": "what went wrong, in the user's language",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        }
    },
    "additionalProperties": True,
}
ERROR_TEXT = {
    "400": "Bad input: the body or a parameter is invalid (field errors, or `detail`).",
    "401": "Not signed in (no or a bad token).",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object in your area.",
    "409": "The event's state does not allow this action (`detail`, `state`, `action`).",
    "413": "The upload is too large.",
    "415": "Not an image of an accepted kind, or an unsupported content type.",
    "429": "Too many requests: wait the `Retry-After` seconds.",
}


def _error_codes(path: str, method: str, operation: dict) -> set[str]:
    """The error answers an operation can give, by the rules every view follows (DESIGN.md "API v1")."""
    codes = {"401", "403"} if operation.get("security", [{}]) != [] else set()
    params = operation.get("parameters", [])
    if method in ("post", "put", "patch") or any(p.get("in") == "query" for p in params):
        codes.add("400")
    if "requestBody" in operation:
        codes.add("415")  # DRF refuses a body in a content type it does not parse
    if "{" in path or any(p.get("name") == "page" for p in params):
        codes.add("404")  # not in the user's area; or a page past the end
    if path.endswith("/actions/"):
        codes.add("409")
    if path.endswith("/attachments/"):
        codes.update({"413", "415"})
    return codes


def error_responses_hook(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation lists the error answers it can give,
    with one shared `Error` component, so that a client generated from the schema expects them."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            extra = {str(code) for code in operation.pop("x-error-codes", ())}
            for code in sorted(_error_codes(path, method, operation) | extra):
                existing = operation["responses"].get(code)
                if existing is None or not existing.get("content"):
                    operation["responses"][code] = {
                        "description": (existing or {}).get("description") or ERROR_TEXT[code],
                        "content": {"application/json": {"schema": reference}},
                    }
    return result
