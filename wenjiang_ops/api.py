"""Shared REST pieces: pagination and the JSON error contract of DESIGN.md ("API v1")."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)

# What a client is told to wait when the database cannot be reached (a restart takes seconds).
DATABASE_RETRY_AFTER_SECONDS = 5


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError answered as 400 instead of 500, and a database
    that cannot be reached (down, restarting, the connection lost) as 503 with Retry-After: the
    client (a phone's outbox, a page) retries, and the worker's next request connects afresh (Django
    drops a connection that failed). tests/test_faults.py restarts PostgreSQL under load."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OperationalError | InterfaceError):
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        log.warning("database unavailable, answered 503: %s", first_line)
        response = Response(
            {"detail": _("The database is unavailable for a moment. Please try again shortly.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return drf_exception_handler(exc, context)
