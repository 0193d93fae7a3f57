"""Stock Django REST framework endpoints: the baselines the benchmarks compare ours with.

Each is what a developer gets from the framework alone for the same rows: a `ModelSerializer` and a
`CreateAPIView`, token auth (the platform's own, so both pay the same), no domain work (no grid lookup,
no clocks, no timeline, no push). Served only by the benchmarks' servers, through `bench.urls`
(ROOT_URLCONF=bench.urls): the platform's own URLs never include them."""

from django.utils import timezone
from rest_framework import generics, serializers

from alarms.models import Alarm
from events.models import Event
from patrols.models import TrackPoint


class StockEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = [
            "id",
            "category",
            "description",
            "location",
            "address",
            "source",
            "grid",
            "origin_center",
            "center",
            "level",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class StockEventCreate(generics.CreateAPIView):
    """POST an event row as the client gives it (grid and centers included)."""

    serializer_class = StockEventSerializer
    queryset = Event.objects.all()

    def perform_create(self, serializer):
        serializer.save(reporter=self.request.user, created_at=timezone.now())


class StockTrackPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackPoint
        fields = ["id", "patrol", "seq", "at", "point", "accuracy"]


class StockTrackPointCreate(generics.CreateAPIView):
    """POST a track point row as the phone gives it (no ownership or state check, no distance, no push)."""

    serializer_class = StockTrackPointSerializer
    queryset = TrackPoint.objects.all()


class StockAlarmSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alarm
        fields = ["id", "source", "external_id", "device", "alarm_type", "occurred_at", "payload"]


class StockAlarmCreate(generics.CreateAPIView):
    """POST an alarm row as the source gives it (no signature, schema, rate limit, clustering or event)."""

    serializer_class = StockAlarmSerializer
    queryset = Alarm.objects.all()

    def perform_create(self, serializer):
        serializer.save(received_at=timezone.now(), processed_at=timezone.now(), status="event")
