"""Serializers of the alarms API: rows → JSON (the webhook's body is checked by alarms.domain.schemas)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Alarm, AlarmType, Device, Source


class AlarmTypeSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    # Wall-clock times of the center ("22:00"), not instants: no offset.
    quiet_from = serializers.SerializerMethodField()
    quiet_to = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="HH:MM, local wall-clock time"))
    def get_quiet_from(self, obj) -> str | None:
        return f"{obj.quiet_from:%H:%M}" if obj.quiet_from else None

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="HH:MM, local wall-clock time"))
    def get_quiet_to(self, obj) -> str | None:
        return f"{obj.quiet_to:%H:%M}" if obj.quiet_to else None

    class Meta:
        model = AlarmType
        fields = [
            "code",
            "name",
            "category",
            "category_name",
            "urgent",
            "threshold",
            "threshold_window_minutes",
            "quiet_from",
            "quiet_to",
        ]


class SourceSerializer(serializers.ModelSerializer):
    """A source without its secret or allowed addresses (an attacker's map)."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    device_count = serializers.IntegerField(read_only=True)
    types = AlarmTypeSerializer(source="active_types", many=True, read_only=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_label",
            "department",
            "department_name",
            "cluster_window_minutes",
            "rate_limit_count",
            "rate_limit_seconds",
            "max_events_per_hour",
            "active",
            "device_count",
            "types",
        ]


class DeviceSerializer(serializers.ModelSerializer):
    source_code = serializers.CharField(source="source.code", read_only=True)
    lat = serializers.SerializerMethodField()
    lng = serializers.SerializerMethodField()
    grid_name = serializers.CharField(source="grid.name", default=None, read_only=True)
    center_name = serializers.CharField(source="center.name", default=None, read_only=True)

    class Meta:
        model = Device
        fields = [
            "id",
            "code",
            "name",
            "source",
            "source_code",
            "lat",
            "lng",
            "address",
            "grid",
            "grid_name",
            "center",
            "center_name",
            "active",
        ]

    @extend_schema_field(serializers.FloatField())
    def get_lat(self, obj) -> float:
        return obj.location.y

    @extend_schema_field(serializers.FloatField())
    def get_lng(self, obj) -> float:
        return obj.location.x


class AlarmSerializer(serializers.ModelSerializer):
    alarm_id = serializers.CharField(source="external_id", read_only=True)
    source_code = serializers.CharField(source="source.code", read_only=True)
    device_code = serializers.CharField(source="device.code", read_only=True)
    device_name = serializers.CharField(source="device.name", read_only=True)
    type = serializers.CharField(source="alarm_type.code", read_only=True)
    type_name = serializers.CharField(source="alarm_type.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    event = serializers.IntegerField(source="cluster.event_id", default=None, read_only=True)

    class Meta:
        model = Alarm
        fields = [
            "id",
            "alarm_id",
            "source",
            "source_code",
            "device",
            "device_code",
            "device_name",
            "type",
            "type_name",
            "occurred_at",
            "received_at",
            "status",
            "status_label",
            "event",
            "payload",
        ]


class WebhookAnswerSerializer(serializers.Serializer):
    """The webhook's answer: the stored alarm (the same one for a repeat of its alarm id)."""

    id = serializers.IntegerField()
    alarm_id = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()


class WebhookBodySerializer(serializers.Serializer):
    """The webhook's body (documentation: the source's kind decides the `data` fields, see README)."""

    alarm_id = serializers.CharField(max_length=64)
    device = serializers.CharField(max_length=64)
    type = serializers.CharField(max_length=40)
    occurred_at = serializers.DateTimeField()
    message = serializers.CharField(max_length=500, required=False)
    data = serializers.DictField(required=False)
