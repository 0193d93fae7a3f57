"""A stored private file as a response, to a request already checked: under `make run` and in tests
Django streams it; in production (`MEDIA_ACCEL_REDIRECT`) nginx sends it from its `internal`
location (`MEDIA_ACCEL_PREFIX`), which no client can request directly. The name is resolved through
the storage's safe join, so a stored name can never point outside MEDIA_ROOT."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, HttpResponse
from rest_framework.negotiation import BaseContentNegotiation


class MissingFile(Exception):
    """The stored name is unsafe or its file is gone."""


def private_file_response(
    field, *, content_type: str, filename: str | None = None, attachment: bool = False, cache: str = "private"
) -> HttpResponse:
    name = field.name
    try:
        field.storage.path(name)  # refuses a name outside MEDIA_ROOT (SuspiciousFileOperation)
    except (SuspiciousFileOperation, ValueError):
        raise MissingFile(name) from None
    if settings.MEDIA_ACCEL_REDIRECT:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_PREFIX + quote(name)
    else:
        try:
            response = FileResponse(field.storage.open(name, "rb"), content_type=content_type)
        except FileNotFoundError:
            raise MissingFile(name) from None
    shown = filename or name.rsplit("/", 1)[-1]
    # RFC 6266: an ASCII fallback and the UTF-8 name (Chinese file names).
    response["Content-Disposition"] = (
        f"{'attachment' if attachment else 'inline'}; filename=\"{quote(shown)}\"; filename*=UTF-8''{quote(shown)}"
    )
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    # Another site may not embed it (with the viewer's cookies) in its own page.
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


class AnyAccept(BaseContentNegotiation):
    """An <img> asks for image/*: a file view answers with the file (or a JSON error), whatever it accepts."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
