from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from inbox import selectors, services
from inbox.models import Notification

from .serializers import NotificationSerializer


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My inbox, newest first (`?unread=1` for the unread ones); the unread count at
    /api/notifications/unread-count/."""

    serializer_class = NotificationSerializer
    # Ids are numbers: anything else (`null,null`) is no such message, a 404, never a 500.
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.notification_list(
            user=self.request.user, unread=self.request.query_params.get("unread") in ("1", "true")
        )

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": selectors.unread_count(user=request.user)})

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Marks one message read (404 for someone else's)."""
        services.inbox_mark_read(user=request.user, notification_id=int(pk))
        notification = Notification.objects.filter(user=request.user, pk=int(pk)).first()
        if notification is None:
            raise NotFound(_("No such message."))
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.inbox_mark_read(user=request.user)})
