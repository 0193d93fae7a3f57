"""The care API: lists masked with a fixed number of queries, create, visits from the phone
(idempotent), actions with 400/403/404/409, the timeline, rules, the schema."""

import uuid

import pytest

from care import services
from care.models import Visit

from .factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(gridworker, user):
    other = user("gw510115001001002")
    return [make_person(workers=[gridworker, other], department="police", name=f"王{i}明") for i in range(6)]


@pytest.mark.parametrize("username", ["admin", "police", "gridworker"])
def test_the_list_takes_a_fixed_number_of_queries(many, api, username, django_assert_num_queries):
    client = api.as_user(username)
    client.get("/api/special-people/")  # the user's center is read once
    queries = 2  # the count and the page: nothing per row
    with django_assert_num_queries(queries):
        body = client.get("/api/special-people/?page_size=100").json()
    assert len(body["results"]) >= 6
    assert all("*" in row["name"] for row in body["results"])
    make_person(department="police")
    with django_assert_num_queries(queries):
        client.get("/api/special-people/?page_size=100")


def test_authorised_center_staff_pay_one_query_for_the_permission(
    many, api, user, authorise, django_assert_num_queries
):
    authorise(user("hangtianlu"))
    client = api.as_user("hangtianlu")
    client.get("/api/special-people/")
    with django_assert_num_queries(3):  # + the permission
        body = client.get("/api/special-people/?page_size=100").json()
    assert body["count"] == 6


def test_filters_and_counts(many, api, gridworker):
    client = api.as_user("police")
    from care import services

    services.person_action(person_id=many[0].pk, actor=gridworker, action="lost_contact")
    assert client.get("/api/special-people/?status=lost").json()["count"] == 1
    assert client.get("/api/special-people/?risk=high").json()["count"] == 0
    assert client.get("/api/special-people/?overdue=true").json()["count"] == 0
    counts = client.get("/api/special-people/counts/").json()
    assert counts["total"] == 6 and counts["lost"] == 1 and counts["in_care"] == 5
    assert counts["by_type"]["correction"] == 6
    assert client.get("/api/special-people/?status=nonsense").status_code == 400


def test_create_by_the_department(api, user, gridworker):
    point = gridworker.worker_grids.first().boundary.point_on_surface
    body = {
        "person_type": "mental",
        "name": "刘芳",
        "lat": point.y,
        "lng": point.x,
        "department": "police",
        "risk": "medium",
        "workers": [gridworker.pk],
        "team": [{"name": "刘母", "role": "family"}, {"user": user("police").pk, "role": "police"}],
    }
    response = api.as_user("police").post("/api/special-people/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "刘芳" and len(response.json()["team"]) == 2
    assert (
        api.as_user("police").post("/api/special-people/", {**body, "department": "justice"}, format="json").status_code
        == 403
    )
    assert api.as_user("gridworker").post("/api/special-people/", body, format="json").status_code == 403
    bad = api.as_user("police").post("/api/special-people/", {**body, "lat": 10, "lng": 10}, format="json")
    assert bad.status_code == 400 and "lat" in bad.json()


def test_a_visit_from_the_phone_is_idempotent(many, api):
    person = many[0]
    client = api.as_user("gridworker")
    body = {
        "method": "in_person",
        "found": True,
        "findings": "在家，情绪稳定",
        "lat": person.point.y,
        "lng": person.point.x,
        "client_id": str(uuid.uuid4()),
        "visited_at": "2026-03-02T10:00:00+08:00",
    }
    first = client.post(f"/api/special-people/{person.pk}/visits/", body, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["visited_at"] == "2026-03-02T10:00:00+08:00"
    again = client.post(f"/api/special-people/{person.pk}/visits/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Visit.objects.filter(person=person).count() == 1
    listed = client.get(f"/api/special-people/{person.pk}/visits/").json()
    assert [v["id"] for v in listed["results"]] == [first.json()["id"]]
    assert client.post(f"/api/special-people/{person.pk}/visits/", {"method": "fax"}, format="json").status_code == 400
    assert (
        api.as_user("volunteer").post(f"/api/special-people/{person.pk}/visits/", body, format="json").status_code
        == 404
    )


def test_a_visit_with_a_photo(many, api):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "visit.jpg"
    client = api.as_user("gridworker")
    response = client.post(
        f"/api/special-people/{many[0].pk}/visits/", {"method": "in_person", "photos": [buffer]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    url = response.json()["photos"][0]
    assert client.get(url).status_code == 200
    assert api.as_user("volunteer").get(url).status_code == 404
    not_image = io.BytesIO(b"hello")
    not_image.name = "x.jpg"
    refused = client.post(
        f"/api/special-people/{many[0].pk}/visits/", {"method": "in_person", "photos": [not_image]}, format="multipart"
    )
    assert refused.status_code in (400, 415)


def test_actions_answer_403_409_and_400(many, api):
    person = many[0]
    url = f"/api/special-people/{person.pk}/actions/"
    assert (
        api.as_user("gridworker")
        .post(url, {"action": "risk", "risk": "high", "reason": "x"}, format="json")
        .status_code
        == 403
    )
    assert api.as_user("police").post(url, {"action": "risk", "risk": "high"}, format="json").status_code == 400
    assert (
        api.as_user("police")
        .post(url, {"action": "risk", "risk": "high", "reason": "复吸迹象"}, format="json")
        .json()["risk"]
        == "high"
    )
    assert api.as_user("police").post(url, {"action": "found"}, format="json").status_code == 409
    lost = api.as_user("gridworker").post(url, {"action": "lost_contact", "reason": "连续三天联系不上"}, format="json")
    assert lost.status_code == 200 and lost.json()["status"] == "lost"
    assert (
        api.as_user("police").post(url, {"action": "end", "end_reason": "term_ended"}, format="json").json()["status"]
        == "ended"
    )
    assert (
        api.as_user("police").post(url, {"action": "end", "end_reason": "term_ended"}, format="json").status_code == 409
    )
    timeline = api.as_user("police").get(f"/api/special-people/{person.pk}/timeline/").json()
    assert [row["action"] for row in timeline] == ["create", "risk", "lost_contact", "end"]


def test_rules_are_listed(api):
    rules = api.as_user("gridworker").get("/api/care-rules/").json()
    assert len(rules) == 12
    assert {(r["person_type"], r["risk"]): r["every_days"] for r in rules}[("mental", "high")] == 7


def test_the_schema_has_the_care_paths(api):
    schema = api.as_user("duty").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/special-people/",
        "/api/special-people/{id}/",
        "/api/special-people/{id}/visits/",
        "/api/special-people/{id}/actions/",
        "/api/care-view-log/",
        "/api/care-rules/",
        "/api/special-people/import/",
        "/api/special-people/export/",
    ):
        assert path in schema["paths"], path


def test_the_visits_list_takes_a_fixed_number_of_queries(many, api, gridworker, django_assert_num_queries):
    person = many[0]
    client = api.as_user("gridworker")
    client.get(f"/api/special-people/{person.pk}/visits/")  # the user's center is read once
    for _ in range(2):
        services.visit_record(person_id=person.pk, actor=gridworker, method="phone")
    # the person (its workers, its team), the view log row, the count, the page, its photos
    with django_assert_num_queries(7):
        body = client.get(f"/api/special-people/{person.pk}/visits/").json()
    assert body["count"] == 2
    for _ in range(3):
        services.visit_record(person_id=person.pk, actor=gridworker, method="phone")
    with django_assert_num_queries(7):
        assert client.get(f"/api/special-people/{person.pk}/visits/").json()["count"] == 5
