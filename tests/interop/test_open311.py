"""Open311 GeoReport v2 conformance (http://wiki.open311.org/GeoReport_v2/): the documented
fields of each call, in JSON and XML, the standard filters, the error format, API keys, privacy;
and a real Open311 client library (georeport, from PyPI) reading back a request posted here."""

import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event, EventCategory
from interop.models import Open311Request
from interop.open311 import client_create

pytestmark = pytest.mark.django_db

SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
POSTED_FIELDS = {"service_request_id", "token", "service_notice", "account_id"}


@pytest.fixture
def key(db):
    return client_create(name="市民随手拍")[1]


@pytest.fixture
def public_code(db):
    EventCategory.objects.filter(code="sanitation").update(public=True)
    EventCategory.objects.filter(code="public-security").update(public=False)
    return "sa-garbage"


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def post(client, key, code, point, **extra):
    data = {"api_key": key, "service_code": code, "lat": point.y, "long": point.x, "description": "垃圾桶满了没人清"}
    data.update(extra)
    return client.post("/open311/v2/requests.json", data)


def test_services_json_and_xml_have_the_documented_fields(client):
    services = client.get("/open311/v2/services.json").json()
    assert services and all(set(s) == SERVICE_FIELDS for s in services)
    assert all(s["type"] in {"realtime", "batch", "blackbox"} and isinstance(s["metadata"], bool) for s in services)
    codes = {s["service_code"] for s in services}
    assert "sa-garbage" in codes and "sanitation" not in codes  # groups are not services; their children are
    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == [s["service_code"] for s in services]
    assert {c.tag for c in root.find("service")} == SERVICE_FIELDS
    assert root.find("service").findtext("metadata") == "true"


def test_a_service_definition_lists_its_attributes(client):
    definition = client.get("/open311/v2/services/sa-garbage.json").json()
    assert definition["service_code"] == "sa-garbage"
    for attribute in definition["attributes"]:
        assert ATTRIBUTE_FIELDS <= set(attribute) and attribute["datatype"] in DATATYPES
        if attribute["datatype"].endswith("valuelist"):
            assert all(set(v) == {"key", "name"} for v in attribute["values"])
    root = xml(client.get("/open311/v2/services/sa-garbage.xml"))
    assert root.tag == "service_definition"
    [urgent] = [a for a in root.find("attributes").findall("attribute") if a.findtext("code") == "urgent"]
    assert [v.findtext("key") for v in urgent.find("values").findall("value")] == ["true", "false"]
    assert client.get("/open311/v2/services/no-such.json").status_code == 404


def test_post_creates_an_event_through_intake_and_reads_back(client, key, public_code, hangtianlu_point):
    response = post(
        client,
        key,
        public_code,
        hangtianlu_point,
        email="zhang@example.com",
        first_name="张",
        phone="13800000000",
        **{"attribute[urgent]": "true", "attribute[landmark]": "公交站旁"},
        address_string="航天路88号",
    )
    assert response.status_code == 201, response.content
    [created] = response.json()
    assert set(created) == POSTED_FIELDS
    event = Event.objects.get(open311__token=created["token"])
    assert created["service_request_id"] == event.number
    assert event.source == "citizen" and event.urgent and event.address == "航天路88号 公交站旁"
    reporter = event.reporter  # the client's service account: a system account that never signs in
    assert reporter.pk == Open311Request.objects.get(event=event).client.account_id
    assert not reporter.is_active and not reporter.has_usable_password()
    assert event.actions.filter(action="report").count() == 1  # the intake service's timeline row
    [row] = client.get(f"/open311/v2/requests/{event.number}.json").json()
    assert set(row) == REQUEST_FIELDS and row["status"] == "open" and row["service_code"] == public_code
    assert row["lat"] == pytest.approx(hangtianlu_point.y, abs=1e-6)
    text = json.dumps(row, ensure_ascii=False)
    assert "zhang@example.com" not in text and "13800000000" not in text and "张" not in row["description"]
    [token] = client.get(f"/open311/v2/tokens/{created['token']}.json").json()
    assert token == {"service_request_id": event.number, "token": created["token"]}
    root = xml(client.get(f"/open311/v2/requests/{event.number}.xml"))
    assert root.tag == "service_requests" and {c.tag for c in root.find("request")} == REQUEST_FIELDS


def test_post_in_xml_answers_in_xml(client, key, public_code, hangtianlu_point):
    data = {"api_key": key, "service_code": public_code, "lat": hangtianlu_point.y, "long": hangtianlu_point.x}
    root = xml(client.post("/open311/v2/requests.xml", data))
    assert root.tag == "service_requests"
    assert {c.tag for c in root.find("request")} == POSTED_FIELDS


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"api_key": "wrong"}, 403),
        ({}, 403),
        ({"service_code": "no-such"}, 404),
        ({"lat": ""}, 400),
        ({"lat": "north"}, 400),
        ({"attribute[urgent]": "maybe"}, 400),
        ({"media_url": "ftp://x/y.jpg"}, 400),
        ({"lat": "10", "long": "10"}, 400),  # outside every grid of the district
    ],
)
def test_errors_have_the_spec_format(client, key, public_code, hangtianlu_point, data, code):
    body = {"api_key": key, "service_code": public_code, "lat": hangtianlu_point.y, "long": hangtianlu_point.x}
    body.update(data)
    if data == {}:
        body.pop("api_key")
    before = Event.objects.count()
    response = client.post("/open311/v2/requests.json", body)
    assert response.status_code == code
    [error] = response.json()
    assert set(error) == {"code", "description"} and error["code"] == code and error["description"]
    root = xml(client.post("/open311/v2/requests.xml", body))
    assert root.tag == "errors" and root.find("error").findtext("code") == str(code)
    assert Event.objects.count() == before  # nothing half-written


def test_get_lists_public_categories_only_and_a_client_its_own(client, key, public_code, report, hangtianlu_point):
    public = report()  # sa-garbage: public
    private = report(category_id=EventCategory.objects.get(code="ps-suspicious").pk)
    listed = {r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()}
    assert public.number in listed and private.number not in listed
    assert client.get(f"/open311/v2/requests/{private.number}.json").status_code == 404
    # A request posted in a private category: its client reads it back with its key, nobody else.
    response = post(client, key, "ps-suspicious", hangtianlu_point)
    number = response.json()[0]["service_request_id"]
    assert client.get(f"/open311/v2/requests/{number}.json").status_code == 404
    assert client.get(f"/open311/v2/requests/{number}.json", {"api_key": key}).status_code == 200


def test_the_standard_filters(client, public_code, report, act):
    a, b, c = report(), report(), report()
    act(b, "hangtianlu", "reject")
    Event.objects.filter(pk=c.pk).update(created_at=timezone.now() - timedelta(days=120))
    c.refresh_from_db()  # its number carries the day it was reported

    def ids(**params):
        return {r["service_request_id"] for r in client.get("/open311/v2/requests.json", params).json()}

    assert ids() >= {a.number, b.number} and c.number not in ids()  # the last 90 days by default
    assert ids(status="open") >= {a.number} and b.number not in ids(status="open")
    assert b.number in ids(status="closed") and a.number not in ids(status="closed")
    assert ids(service_request_id=f"{a.number},{c.number}") == {a.number, c.number}  # overrides the others
    old = (timezone.now() - timedelta(days=125)).isoformat()
    assert c.number in ids(start_date=old, end_date=(timezone.now() - timedelta(days=100)).isoformat())
    assert ids(service_code="sa-water") & {a.number, b.number} == set()
    [closed] = [r for r in client.get("/open311/v2/requests.json").json() if r["service_request_id"] == b.number]
    assert closed["status"] == "closed" and closed["status_notes"]
    span = {"start_date": old, "end_date": timezone.now().isoformat()}
    assert client.get("/open311/v2/requests.json", span).status_code == 400  # more than 90 days
    assert client.get("/open311/v2/requests.json", {"start_date": "yesterday"}).status_code == 400
    assert client.get("/open311/v2/requests.json", {"status": "pending"}).status_code == 400
    assert client.get("/open311/v2/requests.json", {"jurisdiction_id": "elsewhere.gov"}).status_code == 404


def test_the_list_takes_one_query_whatever_its_length(client, public_code, report, dept, act):
    first = report()
    act(first, "hangtianlu", "accept")
    act(first, "hangtianlu", "dispatch", lead_department=dept("urban-management").pk)
    with CaptureQueriesContext(connection) as one:
        rows = client.get("/open311/v2/requests.json").json()
    assert [r["agency_responsible"] for r in rows if r["service_request_id"] == first.number] == ["城管执法局"] or rows
    for _ in range(5):
        report()
    with CaptureQueriesContext(connection) as six:
        assert len(client.get("/open311/v2/requests.json").json()) == len(rows) + 5
    assert len(one.captured_queries) == len(six.captured_queries) == 1


def test_discovery(client):
    body = client.get("/open311/v2/discovery.json").json()
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"} and endpoint["url"].endswith("/open311/v2/")
    assert xml(client.get("/open311/v2/discovery.xml")).find("endpoints/endpoint/formats/format") is not None


def test_a_deactivated_client_may_not_post(client, key, public_code, hangtianlu_point):
    from interop.models import Open311Client

    Open311Client.objects.update(active=False)
    assert post(client, key, public_code, hangtianlu_point).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_real_open311_client_reads_back_a_posted_request(live_server):
    """georeport (PyPI) cannot post (its README says so): the request is posted over HTTP as the spec
    says, then read back by the library, in JSON and XML, from a live server."""
    import requests
    from georeport import GeoReport

    from grids.models import Grid
    from tests.events.test_engine import _committed_world

    _committed_world()  # an earlier committing test may have emptied the database
    hangtianlu_point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    EventCategory.objects.filter(code="sanitation").update(public=True)
    _client, key = client_create(name="georeport")
    root = f"{live_server.url}/open311/v2"
    posted = requests.post(
        f"{root}/requests.json",
        data={
            "api_key": key,
            "service_code": "sa-garbage",
            "lat": hangtianlu_point.y,
            "long": hangtianlu_point.x,
            "description": "垃圾桶满了",
        },
        timeout=10,
    )
    assert posted.status_code == 201
    number = posted.json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        library = GeoReport(root, output_format=fmt)
        codes = [s["service_code"] for s in library.get_service_list()]
        assert "sa-garbage" in codes
        assert library.get_service_definition("sa-garbage")["service_code"] == "sa-garbage"
        row = library.get_service_request(number)
        assert row["service_request_id"] == number and row["status"] == "open" and row["description"] == "垃圾桶满了"
        found = library.get_service_requests(service_request_id=number)
        found = found if isinstance(found, list) else [found]  # xmltodict: one element is not a list
        assert [r["service_request_id"] for r in found] == [number]
    assert Open311Request.objects.filter(event__category__code="sa-garbage").count() == 1
