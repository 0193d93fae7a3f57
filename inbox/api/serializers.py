from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inbox.models import Notification

EVENT = "events.event"


class NotificationSerializer(serializers.ModelSerializer):
    """A message. `subject_type`/`subject_id` name what it is about, `url` its page; `event` is the
    subject's id when it is an event (kept for the clients written before other subjects)."""

    event = serializers.SerializerMethodField()
    url = serializers.CharField(source="subject_url", read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "event", "subject_type", "subject_id", "url", "created_at", "read_at"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_event(self, notification: Notification) -> int | None:
        return notification.subject_id if notification.subject_type == EVENT else None
