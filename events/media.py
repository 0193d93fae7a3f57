"""Photos of events, served only to users who may see the event.

Photos show residents, their homes and children: no file under MEDIA_ROOT is public. nginx has no
public location for it (deploy/nginx.conf); every photo URL the platform hands out is this view's,
which authenticates the request (session or API token), asks `selectors.attachment_visible` (the
event's scope) and then:

- in production (`MEDIA_ACCEL_REDIRECT`), answers with an empty body and `X-Accel-Redirect`, and
  nginx sends the file from its `internal` location (`MEDIA_ACCEL_PREFIX`), which no client can
  request directly: Django decides, nginx does the copying;
- under `make run` and in tests, streams the file itself (FileResponse).

A photo is addressed by its id, never by a path from the request, so no input can name another
file (path traversal); the stored name is still resolved through the storage's safe join.
Anonymous requests get 401; a signed-in user outside the event's scope gets 404 (as for the event).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from wenjiang_ops.files import AnyAccept, MissingFile, private_file_response

from .selectors import attachment_visible

JPEG = "image/jpeg"  # every stored photo and thumbnail is re-encoded as JPEG (events.attachments)
# Private: a browser may keep a photo it was shown, a shared cache (proxy, CDN) never.
CACHE_CONTROL = "private, max-age=3600"


def photo_url(attachment_id: int, *, thumbnail: bool = False) -> str:
    """The one URL of a photo (or its thumbnail), for pages, the API and the dashboards."""
    return reverse("events:photo-thumb" if thumbnail else "events:photo", args=[attachment_id])


def _file_response(field) -> HttpResponse:
    try:
        return private_file_response(field, content_type=JPEG, cache=CACHE_CONTROL)
    except MissingFile:
        raise NotFound(_("No such photo.")) from None


class PhotoView(APIView):
    """A photo of an event (or its thumbnail): 401 signed out, 404 outside the event's scope."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAccept
    thumbnail = False

    @extend_schema(
        responses={
            (200, JPEG): OpenApiTypes.BINARY,
            401: OpenApiResponse(description="not signed in"),
            404: OpenApiResponse(description="no such photo, or its event is outside your area"),
        },
    )
    def get(self, request, pk: int):
        attachment = attachment_visible(request.user, pk)
        if attachment is None:
            raise NotFound(_("No such photo."))
        return _file_response(attachment.thumbnail if self.thumbnail else attachment.image)


class ThumbnailView(PhotoView):
    """The thumbnail of a photo of an event: 401 signed out, 404 outside the event's scope."""

    thumbnail = True
