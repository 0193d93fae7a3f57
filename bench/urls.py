"""The benchmarks' URLconf: the platform's URLs plus the stock baselines (bench.stock) under /bench-stock/."""

from django.urls import include, path

from bench.stock import StockAlarmCreate, StockEventCreate, StockTrackPointCreate

urlpatterns = [
    path("bench-stock/events/", StockEventCreate.as_view(), name="bench-stock-events"),
    path("bench-stock/track-points/", StockTrackPointCreate.as_view(), name="bench-stock-track-points"),
    path("bench-stock/alarms/", StockAlarmCreate.as_view(), name="bench-stock-alarms"),
    path("", include("wenjiang_ops.urls")),
]

handler404 = "wenjiang_ops.api.not_found"  # as the platform's URLconf: JSON under /api/
