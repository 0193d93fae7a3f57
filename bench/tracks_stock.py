"""The stock baseline of `make bench-tracks`: the same TrackPoint rows through a plain DRF
`ModelSerializer` + `CreateAPIView` (token auth, no domain work: no ownership or state check, no
distance, no push), served by the same server as the real endpoint (bench/tracks_settings.py)."""

from django.urls import path
from rest_framework import generics, serializers

from patrols.models import TrackPoint
from wenjiang_ops.urls import urlpatterns as project_urlpatterns


class StockTrackPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackPoint
        fields = ["id", "patrol", "seq", "at", "point", "accuracy"]


class StockTrackPointCreate(generics.CreateAPIView):
    serializer_class = StockTrackPointSerializer
    queryset = TrackPoint.objects.all()


urlpatterns = [path("bench/stock-track/", StockTrackPointCreate.as_view()), *project_urlpatterns]
