"""Likely duplicates at intake (并案): the rule's distance, window and text boundaries, the nearby
API's privacy and scope, the merge offered on the event page, and the measuring command."""

import json
import math
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import DemoDuplicate, DuplicateRule, Event, EventCategory
from events.selectors import DuplicateDraft, duplicate_rule, event_duplicates

pytestmark = pytest.mark.django_db


def moved(point: Point, metres: float, bearing_deg: float = 90) -> Point:
    b = math.radians(bearing_deg)
    lat = point.y + metres * math.cos(b) / 111_320
    lng = point.x + metres * math.sin(b) / (111_320 * math.cos(math.radians(point.y)))
    return Point(lng, lat, srid=4326)


@pytest.fixture
def rule(db, category):
    return DuplicateRule.objects.create(category=category, distance_m=100, window_hours=24, min_similarity=0.2)


def draft(event, *, point=None, text=None, at=None, category_id=None):
    return DuplicateDraft(
        category_id or event.category_id,
        point or event.location,
        event.description if text is None else text,
        at or event.created_at + timedelta(minutes=30),
    )


def test_an_open_event_close_by_recent_and_alike_is_offered(report, rule):
    first = report()
    [found] = event_duplicates(draft(first))
    assert found.pk == first.pk and found.distance.m < 1 and found.similarity == pytest.approx(1.0)


@pytest.mark.parametrize(("metres", "offered"), [(90, True), (110, False)])
def test_the_distance_is_a_boundary_in_metres(report, rule, metres, offered):
    first = report()
    assert bool(event_duplicates(draft(first, point=moved(first.location, metres)))) is offered


@pytest.mark.parametrize(("hours", "offered"), [(23.9, True), (24.1, False)])
def test_the_window_is_a_boundary_in_hours(report, rule, hours, offered):
    first = report()
    at = first.created_at + timedelta(hours=hours)
    assert bool(event_duplicates(draft(first, at=at))) is offered


def test_an_event_reported_after_the_report_is_not_its_original(report, rule):
    first = report()
    assert event_duplicates(draft(first, at=first.created_at - timedelta(minutes=1))) == []


def test_the_text_must_be_alike_enough(report, rule):
    first = report(description="光华大道88号路边垃圾堆放三天未清运")
    assert event_duplicates(draft(first, text="光华大道88号垃圾堆放没人清运"))
    assert event_duplicates(draft(first, text="夜里有人唱歌")) == []
    rule.min_similarity = 0
    rule.save()
    assert event_duplicates(draft(first, text="夜里有人唱歌"))  # 0: any open event of the category nearby


def test_another_category_closed_merged_or_rejected_events_are_not_offered(report, rule, act):
    other = EventCategory.objects.exclude(pk=rule.category_id).filter(active=True).first()
    first = report()
    assert event_duplicates(draft(first, category_id=other.pk)) == []
    act(first, "hangtianlu", "reject")
    assert event_duplicates(draft(first)) == []


def test_the_most_specific_rule_wins(category):
    parent = category.parent
    DuplicateRule.objects.update_or_create(category=None, defaults={"distance_m": 500})  # made by load_reference
    assert duplicate_rule(category.pk).distance_m == 500
    DuplicateRule.objects.create(category=parent, distance_m=300)
    assert duplicate_rule(category.pk).distance_m == 300
    DuplicateRule.objects.create(category=category, distance_m=50)
    assert duplicate_rule(category.pk).distance_m == 50


def test_an_inactive_rule_offers_nothing(report, rule):
    first = report()
    rule.active = False
    rule.save()
    assert event_duplicates(draft(first)) == []


# --- the nearby API -------------------------------------------------------------------------------------------


def nearby(client, event, **overrides):
    params = {
        "lat": event.location.y,
        "lng": event.location.x,
        "category": event.category_id,
        "text": "路边垃圾堆放三天没清运",
    }
    params.update(overrides)
    return client.get("/api/events/nearby/", params)


def test_nearby_shows_the_open_event_without_its_reporter(api, report, rule):
    first = report(username="volunteer")
    response = nearby(api.as_user("gridworker"), first)
    assert response.status_code == 200
    [row] = response.json()
    assert row["id"] == first.pk and row["number"] == first.number
    assert set(row) == {
        "id",
        "number",
        "category",
        "state",
        "state_display",
        "description",
        "address",
        "created_at",
        "distance_m",
        "similarity",
    }
    assert "reporter" not in json.dumps(row) and "红袖" not in json.dumps(row, ensure_ascii=False)


def test_nearby_shows_only_what_the_user_may_see(api, report, rule):
    first = report(username="gridworker")
    assert nearby(api.as_user("volunteer"), first).json() == []  # a volunteer sees their own reports only
    assert nearby(api.as_user("chengwu"), first).json() == []  # another community's staff
    assert [r["id"] for r in nearby(api.as_user("hangtianlu"), first).json()] == [first.pk]


def test_nearby_refuses_bad_input_by_field(api, report):
    client = api.as_user("gridworker")
    response = client.get("/api/events/nearby/", {"lat": "north", "lng": 103.8, "category": "x"})
    assert response.status_code == 400
    assert set(response.json()) >= {"location", "category"} or set(response.json().get("errors", {})) >= {
        "location",
        "category",
    }
    from rest_framework.test import APIClient

    assert APIClient().get("/api/events/nearby/").status_code in (401, 403)


def test_nearby_takes_a_fixed_number_of_queries(api, report, rule):
    client = api.as_user("hangtianlu")
    first = report()
    nearby(client, first)  # the user's center is loaded once
    with CaptureQueriesContext(connection) as one:
        assert len(nearby(client, first).json()) == 1
    for _ in range(4):
        report()
    with CaptureQueriesContext(connection) as five:
        assert len(nearby(client, first).json()) == 5
    assert (
        len(one.captured_queries) == len(five.captured_queries) == 3
    )  # the scope's centers, the rules, the candidates


# --- the offer on the event page, merged with one click --------------------------------------------------------


def test_the_accepting_center_sees_the_duplicate_and_merges_it(client, report, rule, demo_user):
    first = report()
    second = report(username="volunteer", description="路边垃圾堆放好几天了")
    client.force_login(demo_user("hangtianlu"))
    page = client.get(f"/events/{second.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="duplicates"' in html and first.number in html
    response = client.post(
        f"/events/{second.pk}/act/",
        {"action": "merge", "merge_into": first.number, "reason": f"Duplicate of event {first.number}"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.state == "merged" and second.merged_into_id == first.pk
    assert second.actions.filter(action="merge").count() == 1


def test_no_offer_to_whoever_may_not_merge(client, report, rule, demo_user):
    report()
    second = report()
    client.force_login(demo_user("gridworker"))
    assert 'id="duplicates"' not in client.get(f"/events/{second.pk}/").content.decode()


# --- the measuring command --------------------------------------------------------------------------------------


def test_duplicates_measure_scores_against_the_truth(report, rule, capsys):
    first = report()
    second = report(username="volunteer", description="路边垃圾堆放三天没人清运")  # a true duplicate
    far = report(description="路边垃圾堆放三天未清运")  # the same words, but not recorded as a duplicate:
    DemoDuplicate.objects.create(event=second, original=first)  # offered for it, it counts as a false one
    Event.objects.filter(pk=far.pk).update(location=moved(first.location, 60))
    call_command("duplicates_measure")
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["true_duplicates"] == 1 and result["originals_found"] == 1 and result["recall"] == 1.0
    # second ← first (right), far ← first and second (wrong: far is no duplicate by the truth).
    assert result["offered"] == 3 and result["offered_right"] == 1
    assert result["precision"] == pytest.approx(1 / 3, abs=1e-4)
