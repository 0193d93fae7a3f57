"""Filters of the alarms API lists."""

import django_filters

from ..choices import Status
from ..models import Alarm, Device


class DeviceFilter(django_filters.FilterSet):
    source = django_filters.NumberFilter(field_name="source_id")
    center = django_filters.NumberFilter(field_name="center_id")
    grid = django_filters.NumberFilter(field_name="grid_id")

    class Meta:
        model = Device
        fields = ["source", "center", "grid", "active"]


class AlarmFilter(django_filters.FilterSet):
    source = django_filters.NumberFilter(field_name="source_id")
    device = django_filters.NumberFilter(field_name="device_id")
    status = django_filters.ChoiceFilter(choices=Status.choices)
    event = django_filters.NumberFilter(field_name="cluster__event_id")
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Alarm
        fields = ["source", "device", "status", "event"]
