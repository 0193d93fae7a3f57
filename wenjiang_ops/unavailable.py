"""The answer of a page when PostgreSQL cannot be reached: a 503 page with Retry-After.

The API answers the same moment in JSON from its own exception handler (wenjiang_ops.api); this covers
everything else. The page is rendered from a standalone template with no request context: the
context processors, `request.user` and the session all read the database that is down.
"""

from __future__ import annotations

import logging
import sys

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .api import DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE, first_line

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
TEMPLATE = "503_database.html"
_FLAG = "_database_unavailable"


def database_unavailable_response(request) -> HttpResponse:
    """503 with Retry-After: JSON under /api/ (the API's error contract), the static page elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": str(DATABASE_UNAVAILABLE)}, status=503)
    else:
        # A link back only where following it repeats the request: reloading a failed POST as a GET
        # would not resend the form.
        retry_url = request.get_full_path() if request.method in ("GET", "HEAD") else ""
        context = {"retry_after": DATABASE_RETRY_AFTER_SECONDS, "retry_url": retry_url}
        response = HttpResponse(render_to_string(TEMPLATE, context), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@receiver(got_request_exception, dispatch_uid="wenjiang_ops.unavailable.mark")
def _mark(sender, request=None, **kwargs):
    """Django turns an exception raised inside a middleware (one that reads `request.user` before the
    view, say) into a 500 response at that layer, before any outer middleware sees the exception; it
    sends this signal with the exception in flight. The mark lets DatabaseUnavailableMiddleware
    replace that 500 with the 503 page."""
    if request is not None and caused_by_the_database(sys.exc_info()[1]):
        setattr(request, _FLAG, True)


def caused_by_the_database(exc: BaseException | None) -> bool:
    """Whether `exc` or an exception it was raised from is a database error. Django wraps some: the
    session's save turns a lost connection into SessionInterrupted, answered 400."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DATABASE_ERRORS):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


class DatabaseUnavailableMiddleware:
    """Answers a page whose request met an unreachable database with 503 and Retry-After instead of
    Django's 500 page. Placed before SessionMiddleware, so that it wraps every layer that may touch
    the database: the session load (first when the view or a decorator evaluates `request.user`,
    lazily), the view and its template arrive in process_exception; an error raised by an inner
    middleware arrives as a 500 marked by `_mark`. The session's save is SessionMiddleware's below."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _FLAG, False):
            return database_unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        log.warning(
            "database unavailable, page answered 503: %s %s: %s", request.method, request.path, first_line(exception)
        )
        return database_unavailable_response(request)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a session save that fails because the database is gone answers the 503
    page: Django reports a failed save as SessionInterrupted ("the user may have logged out in a
    concurrent request"), a 400 that sends no got_request_exception, so no outer layer could tell."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted as exc:
            if not caused_by_the_database(exc):
                raise
            log.warning("database unavailable, the session was not saved: %s %s", request.method, request.path)
            return database_unavailable_response(request)
