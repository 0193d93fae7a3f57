"""Report floods: per-user intake limits (429 with Retry-After), retries never counted; a volunteer's
`urgent` is a request that the accepting center confirms before it counts anywhere."""

import uuid
from datetime import timedelta

import pytest

from events.models import Event, EventAction
from wenjiang_ops import ratelimit

pytestmark = pytest.mark.django_db

SNAPSHOT = "/api/dashboard/snapshot/"


@pytest.fixture
def body(hangtianlu_point, category):
    def make(**extra):
        return {
            "category": category.pk,
            "description": "小区门口井盖缺失，存在安全隐患",
            "lat": hangtianlu_point.y,
            "lng": hangtianlu_point.x,
            "client_id": str(uuid.uuid4()),
            **extra,
        }

    return make


@pytest.fixture
def volunteers_may_send(settings):
    def limit(count):
        settings.INTAKE_RATE_LIMITS = {**settings.INTAKE_RATE_LIMITS, "volunteer": (count, 3600)}

    return limit


# --- the limit ---------------------------------------------------------------------------------------


def test_over_the_limit_a_report_is_429_with_retry_after_and_nothing_is_written(api, body, volunteers_may_send):
    volunteers_may_send(3)
    client = api.as_user("volunteer")
    assert [client.post("/api/events/", body(), format="json").status_code for _ in range(3)] == [201] * 3
    before = (Event.objects.count(), EventAction.objects.count())
    response = client.post("/api/events/", body(), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert response.json()["detail"].startswith("Too many reports in a short time")
    assert (Event.objects.count(), EventAction.objects.count()) == before


def test_a_retry_of_the_same_client_id_is_neither_counted_nor_refused(api, body, volunteers_may_send):
    volunteers_may_send(2)
    client = api.as_user("volunteer")
    first = body()
    assert client.post("/api/events/", first, format="json").status_code == 201
    for _ in range(5):  # a phone on a bad network retries the same report
        assert client.post("/api/events/", first, format="json").status_code == 200
    assert client.post("/api/events/", body(), format="json").status_code == 201  # the second report
    assert client.post("/api/events/", body(), format="json").status_code == 429  # the third is over
    # Over the limit, a retry of a report taken in is still answered with its event.
    again = client.post("/api/events/", first, format="json")
    assert again.status_code == 200 and again.json()["client_id"] == first["client_id"]


def test_the_limit_is_per_user_and_per_role(api, body, volunteers_may_send):
    volunteers_may_send(1)
    assert api.as_user("volunteer").post("/api/events/", body(), format="json").status_code == 201
    assert api.as_user("volunteer").post("/api/events/", body(), format="json").status_code == 429
    assert api.as_user("vol510115001001").post("/api/events/", body(), format="json").status_code == 201
    assert api.as_user("gridworker").post("/api/events/", body(), format="json").status_code == 201


def test_the_default_limits_are_set_per_role(settings):
    from accounts.models import Role

    assert settings.INTAKE_RATE_LIMITS["volunteer"] == (10, 3600)
    assert settings.INTAKE_RATE_LIMITS["grid_worker"] == (60, 3600)
    assert set(settings.INTAKE_RATE_LIMITS) == set(Role.values)


def test_without_the_cache_reports_still_go_through(api, body, volunteers_may_send, monkeypatch):
    volunteers_may_send(1)

    def down():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(ratelimit, "_client", down)
    client = api.as_user("volunteer")
    assert [client.post("/api/events/", body(), format="json").status_code for _ in range(3)] == [201] * 3


def test_a_fixed_window_says_exactly_when_to_come_back():
    limit = ratelimit.Limit(2, 60)
    start = 6000.0  # the start of a window (a multiple of 60)
    assert [ratelimit.hit("t", 1, limit, now=start + s).allowed for s in (0, 1, 2)] == [True, True, False]
    refused = ratelimit.hit("t", 1, limit, now=start + 40.5)
    assert (refused.allowed, refused.retry_after) == (False, 20)
    assert ratelimit.hit("t", 1, limit, now=start + 60).allowed  # a new window
    assert ratelimit.hit("t", 1, None).allowed  # no limit: nothing counted


def test_intake_costs_one_cache_round_trip(api, body, monkeypatch):
    calls = []
    real = ratelimit._client

    def counting():
        client = real()
        calls.append(client)
        return client

    monkeypatch.setattr(ratelimit, "_client", counting)
    assert api.as_user("gridworker").post("/api/events/", body(), format="json").status_code == 201
    assert len(calls) == 1  # one pipeline: INCR and EXPIRE together


# --- urgency from a volunteer is a request ------------------------------------------------------------


def _alarm_ids(api, username="duty"):
    return {item["id"] for item in api.as_user(username).get(SNAPSHOT).json()["alarms"]}


def test_a_volunteers_urgent_is_a_request_until_the_center_confirms_it(api, body):
    created = api.as_user("volunteer").post("/api/events/", body(urgent=True), format="json").json()
    assert (created["urgent"], created["urgent_requested"]) == (False, True)
    event = Event.objects.get(pk=created["id"])
    assert event.due_at - event.created_at == timedelta(minutes=120)  # the ordinary accept limit
    for username in ("duty", "liucheng", "hangtianlu"):  # no alarm at any of the three levels
        assert event.pk not in _alarm_ids(api, username), username
    detail = api.as_user("hangtianlu").get(f"/api/events/{event.pk}/").json()
    assert detail["urgent_requested"] is True

    response = api.as_user("hangtianlu").post(
        f"/api/events/{event.pk}/actions/", {"action": "accept", "confirm_urgent": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["urgent"], response.json()["urgent_requested"]) == (True, False)
    event.refresh_from_db()
    assert event.due_at - event.phase_started_at == timedelta(minutes=30)  # the urgent accept limit
    row = event.actions.get(action="accept")
    assert row.data["urgent_request"] == "confirmed"
    for username in ("duty", "liucheng", "hangtianlu"):
        assert event.pk in _alarm_ids(api, username), username


def test_accepting_without_confirming_declines_the_request(api, body):
    created = api.as_user("volunteer").post("/api/events/", body(urgent=True), format="json").json()
    response = api.as_user("hangtianlu").post(
        f"/api/events/{created['id']}/actions/", {"action": "accept"}, format="json"
    )
    assert (response.json()["urgent"], response.json()["urgent_requested"]) == (False, False)
    assert EventAction.objects.get(event_id=created["id"], action="accept").data["urgent_request"] == "declined"


def test_confirming_what_nobody_asked_for_is_a_400(api, body):
    created = api.as_user("gridworker").post("/api/events/", body(), format="json").json()
    response = api.as_user("hangtianlu").post(
        f"/api/events/{created['id']}/actions/", {"action": "accept", "confirm_urgent": True}, format="json"
    )
    assert response.status_code == 400 and "confirm_urgent" in response.json()


def test_grid_workers_urgent_works_as_before(api, body):
    created = api.as_user("gridworker").post("/api/events/", body(urgent=True), format="json").json()
    assert (created["urgent"], created["urgent_requested"]) == (True, False)
    assert created["id"] in _alarm_ids(api)


def test_a_category_urgent_by_default_is_also_only_a_request_from_a_volunteer(api, body, category):
    category.default_urgent = True
    category.save()
    from events import clocks as event_clocks

    event_clocks.reference_changed()
    created = api.as_user("volunteer").post("/api/events/", body(), format="json").json()
    assert (created["urgent"], created["urgent_requested"]) == (False, True)


def test_the_page_offers_the_confirmation_only_for_a_request(client, body, demo_user, api):
    requested = api.as_user("volunteer").post("/api/events/", body(urgent=True), format="json").json()
    ordinary = api.as_user("gridworker").post("/api/events/", body(), format="json").json()
    client.force_login(demo_user("hangtianlu"))
    assert 'name="confirm_urgent"' in client.get(f"/events/{requested['id']}/").content.decode()
    assert 'name="confirm_urgent"' not in client.get(f"/events/{ordinary['id']}/").content.decode()
    response = client.post(f"/events/{requested['id']}/act/", {"action": "accept", "confirm_urgent": "1"})
    assert response.status_code == 302
    assert Event.objects.get(pk=requested["id"]).urgent is True
