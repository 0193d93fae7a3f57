"""The benchmarks' stock baseline (bench/stock.py) writes the same event row as our intake, without
the domain work: a ratio to it compares like with like."""

import uuid

import pytest
from django.test import override_settings

from events.models import Event, EventAction
from tests.events.conftest import category, hangtianlu_point, media_in_tmp, round_the_clock  # noqa: F401

pytestmark = pytest.mark.django_db


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_stock_endpoint_writes_the_row_our_intake_writes(api, category, hangtianlu_point):  # noqa: F811
    client = api.as_user("gridworker")
    point = {"lat": hangtianlu_point.y, "lng": hangtianlu_point.x}
    ours = client.post(
        "/api/events/",
        {"category": category.pk, "description": "路灯损坏", **point, "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert ours.status_code == 201
    grid = Event.objects.get(pk=ours.json()["id"]).grid
    stock = client.post(
        "/bench-stock/events/",
        {
            "category": category.pk,
            "description": "路灯损坏",
            "location": {"type": "Point", "coordinates": [point["lng"], point["lat"]]},
            "source": "patrol",
            "grid": grid.pk,
            "origin_center": grid.center_id,
            "center": grid.center_id,
            "level": "community",
        },
        format="json",
    )
    assert stock.status_code == 201, stock.content
    a, b = Event.objects.get(pk=ours.json()["id"]), Event.objects.get(pk=stock.json()["id"])
    same = ("category_id", "description", "source", "reporter_id", "grid_id", "origin_center_id", "center_id", "level")
    assert [getattr(a, f) for f in same] == [getattr(b, f) for f in same]
    assert a.location.equals_exact(b.location, 1e-9)
    # The difference is the domain work: clocks and the first timeline row.
    assert a.deadline is not None and b.deadline is None
    assert EventAction.objects.filter(event=a).exists() and not EventAction.objects.filter(event=b).exists()


def test_the_platform_urls_do_not_serve_the_stock_endpoint(api):
    assert api.as_user("gridworker").post("/bench-stock/events/", {}, format="json").status_code == 404
