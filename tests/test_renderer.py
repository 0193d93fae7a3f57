"""The REST API's JSON renderer (wenjiang_ops.renderers): orjson, writing what DRF's renderer writes."""

import datetime
import decimal
import json
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFRenderer

from events.choices import State
from wenjiang_ops.renderers import JSONRenderer

UTC8 = datetime.timezone(datetime.timedelta(hours=8))

DATA = {
    "int": 1,
    "floats": [1.5, 30.123456789, 104.0, -0.0, 1e22],
    "none": None,
    "flags": [True, False],
    "text": '中文 "quoted" \\ line\nbreak\ttab \x01 \u2028 \u2029 end',
    "utc": datetime.datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=datetime.UTC),
    "local": datetime.datetime(2026, 1, 1, 8, 30, tzinfo=UTC8),
    "date": datetime.date(2026, 1, 2),
    "time": datetime.time(8, 30),
    "duration": datetime.timedelta(seconds=90),
    "decimal": decimal.Decimal("1.25"),
    "lazy": gettext_lazy("Open"),
    "uuid": uuid.UUID("1ca3d850-30a9-4788-a2c9-31f117868683"),
    "int_keys": {1: "x", 2: {"nested": [1, (2, 3)]}},
    "choice": State.CLOSED,
    "set": {3},
    "huge": 2**70,  # past orjson's 64 bits: DRF's renderer writes it
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_renderer_writes_the_bytes_drf_writes(language):
    from django.utils import translation

    with translation.override(language):
        assert JSONRenderer().render(DATA) == DRFRenderer().render(DATA)
        small = {k: v for k, v in DATA.items() if k != "huge"}  # orjson's own path
        assert JSONRenderer().render(small) == DRFRenderer().render(small)
        assert b"\\u2028" in JSONRenderer().render(small) and "\u2028".encode() not in JSONRenderer().render(small)


def test_the_renderer_keeps_drf_s_indent_and_empty_answers():
    assert JSONRenderer().render(None) == b""
    indented = JSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert indented == DRFRenderer().render({"a": [1]}, "application/json; indent=2") and b"\n  " in indented


def test_an_api_answer_is_rendered_by_it(api):
    response = api.as_user("duty").get("/api/events/", {"page_size": 2})
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.content == DRFRenderer().render(json.loads(response.content))
