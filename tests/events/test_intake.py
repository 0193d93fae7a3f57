"""POST /api/events/: the intake contract, idempotency and bad input."""

import uuid
from datetime import timedelta

import pytest

from events.models import Event, EventAction, EventCategory
from grids.models import Center

pytestmark = pytest.mark.django_db


@pytest.fixture
def body(hangtianlu_point, category):
    return {
        "category": category.pk,
        "description": "小区门口井盖缺失，存在安全隐患",
        "lat": hangtianlu_point.y,
        "lng": hangtianlu_point.x,
        "address": "航天路1号",
        "client_id": str(uuid.uuid4()),
    }


def counts():
    return Event.objects.count(), EventAction.objects.count()


def test_a_report_creates_the_event_in_its_grid_and_community(api, body):
    response = api.as_user("gridworker").post("/api/events/", body, format="json")
    assert response.status_code == 201, response.json()
    event = response.json()
    assert event["state"] == "reported"
    assert event["grid"]["code"] == "510115001001001"
    assert event["center"]["name"] == event["origin_center"]["name"] == "航天路社区"
    assert event["level"] == "community"
    assert event["source"] == "patrol" and event["light"] == "green"
    stored = Event.objects.get(pk=event["id"])
    # Deadlines from the limits: community, normal urgency, 120 minutes to accept.
    assert stored.due_at - stored.created_at == timedelta(minutes=120)
    assert stored.deadline - stored.created_at == timedelta(minutes=120 + 120 + 2880 + 1440)
    first = stored.actions.get()
    assert (first.action, first.from_state, first.to_state, first.actor.username) == (
        "report",
        "",
        "reported",
        "gridworker",
    )


def test_the_same_client_id_returns_the_same_event(api, body):
    client = api.as_user("gridworker")
    first = client.post("/api/events/", body, format="json")
    before = counts()
    again = client.post("/api/events/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert counts() == before


def test_someone_elses_client_id_is_refused(api, body):
    api.as_user("gridworker").post("/api/events/", body, format="json")
    response = api.as_user("volunteer").post("/api/events/", body, format="json")
    assert response.status_code == 400
    assert "client_id" in response.json()


def test_a_categorys_default_urgency_applies(api, body):
    body["category"] = EventCategory.objects.get(code="fire-safety").pk
    event = Event.objects.get(pk=api.as_user("gridworker").post("/api/events/", body, format="json").json()["id"])
    assert event.urgent is True and event.source == "patrol"
    assert event.due_at - event.created_at == timedelta(minutes=30)
    # From a volunteer, the category's urgency is a request for the accepting center to confirm.
    body["client_id"] = str(uuid.uuid4())
    event = Event.objects.get(pk=api.as_user("volunteer").post("/api/events/", body, format="json").json()["id"])
    assert (event.urgent, event.urgent_requested, event.source) == (False, True, "volunteer")
    assert event.due_at - event.created_at == timedelta(minutes=120)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": None}, "category"),
        ({"category": 999999}, "category"),
        ({"description": ""}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"lat": 95}, "location"),
        ({"lng": "east"}, "location"),
        ({"lat": 30.6595, "lng": 104.0657}, "location"),  # Chengdu, outside every grid
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"address": "路" * 201}, "address"),
        ({"source": "rumour"}, "source"),
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(api, body, change, field):
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    before = counts()
    response = api.as_user("gridworker").post("/api/events/", body, format="json")
    assert response.status_code == 400
    assert response.json()[field]
    assert counts() == before


def test_outside_every_grid_a_center_chosen_by_hand_holds_it(api, body):
    town = Center.objects.get(name="柳城街道")
    body.update(lat=30.6595, lng=104.0657, center=town.pk)
    response = api.as_user("liucheng").post("/api/events/", body, format="json")
    assert response.status_code == 201
    assert response.json()["center"]["name"] == "柳城街道" and response.json()["grid"] is None
    # ... but only a center in the reporter's own area.
    body.update(client_id=str(uuid.uuid4()), center=Center.objects.get(name="永宁街道").pk)
    assert api.as_user("liucheng").post("/api/events/", body, format="json").status_code == 400


def test_intake_needs_a_login(client, body):
    assert client.post("/api/events/", body, content_type="application/json").status_code == 401


def test_intake_publishes_once_after_commit(api, body, django_capture_on_commit_callbacks):
    from events.signals import event_changed

    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    event_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.as_user("gridworker").post("/api/events/", body, format="json")
            assert seen == []  # not before the commit
        assert [(s["event_ids"], s["action"]) for s in seen] == [([response.json()["id"]], "report")]
    finally:
        event_changed.disconnect(receiver)


def test_the_cached_insert_statement_matches_djangos_compiler(report, hangtianlu_point):
    from django.db.models.sql import InsertQuery

    from events import services
    from events.models import EventAction

    event = Event.objects.first() or report()
    for obj, fields in [(event, services._EVENT_FIELDS), (EventAction.objects.first(), services._ACTION_FIELDS)]:
        statement, params = services._insert_sql(obj, fields)
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        [(expected_sql, expected_params)] = query.get_compiler(using="default").as_sql()
        assert statement == expected_sql
        stamped = [k for k, f in enumerate(fields) if getattr(f, "auto_now", False)]  # "now" differs by a moment
        assert [str(p) for k, p in enumerate(params) if k not in stamped] == [
            str(p) for k, p in enumerate(expected_params) if k not in stamped
        ]


def test_token_authentication(api, body):
    from rest_framework.test import APIClient

    from accounts.models import User
    from accounts.services import token_issue

    user = User.objects.get(username="gridworker")
    key = token_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/me/").json()["username"] == "gridworker"
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/me/").status_code == 401
    user.is_active = False
    user.save()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/me/").status_code == 401
