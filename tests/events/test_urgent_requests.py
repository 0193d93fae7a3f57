"""A volunteer's request for urgency (Event.urgent_requested) is visible to the duty officers until the
accepting center confirms or declines it: a badge and a filter in the queue (page and API), a notice on
the event's page. (The live dashboard's mark: tests/live/test_snapshot.py, test_dashboard_client.py.)"""

import pytest

pytestmark = pytest.mark.django_db

BADGE = '<span class="badge urgent-requested"'


@pytest.fixture
def requested(report):
    return report("volunteer", urgent=True, description="河边有人落水，请求紧急救援")


@pytest.fixture
def ordinary(report):
    return report(description="路边垃圾堆放三天未清运")


def test_the_api_filters_the_requests(api, requested, ordinary):
    client = api.as_user("hangtianlu")

    def listed(query):
        response = client.get(f"/api/events/?{query}")
        assert response.status_code == 200, response.content
        return {e["id"] for e in response.json()["results"]}

    assert listed("urgent_requested=1") == {requested.pk}
    assert listed("urgent_requested=true") == {requested.pk}
    assert ordinary.pk in listed("urgent_requested=0") and requested.pk not in listed("urgent_requested=0")
    assert {requested.pk, ordinary.pk} <= listed("")


def test_yes_no_filters_read_1_and_0_as_clients_write_them(api, report, ordinary):
    """Django's select read neither: `urgent=1` was silently not applied and listed every event."""
    urgent = report(urgent=True, description="燃气管道泄漏")  # a grid worker's urgent is urgent at once
    client = api.as_user("hangtianlu")
    assert {e["id"] for e in client.get("/api/events/?urgent=1").json()["results"]} == {urgent.pk}
    assert urgent.pk not in {e["id"] for e in client.get("/api/events/?urgent=0").json()["results"]}


def test_the_queue_shows_the_badge_and_filters_the_requests(client, demo_user, requested, ordinary):
    client.force_login(demo_user("hangtianlu"))
    page = client.get("/events/").content.decode()
    assert page.count(BADGE) == 1 and "请求加急" in page
    assert 'name="urgent_requested"' in page  # the filter
    filtered = client.get("/events/?urgent_requested=1").content.decode()
    assert requested.number in filtered and ordinary.number not in filtered


def test_the_event_page_tells_the_accepting_center_until_it_decides(client, demo_user, requested, ordinary, act):
    client.force_login(demo_user("hangtianlu"))
    page = client.get(f"/events/{requested.pk}/").content.decode()
    assert "data-urgent-request" in page and "报告的红袖套请求加急处置" in page and BADGE in page
    assert "data-urgent-request" not in client.get(f"/events/{ordinary.pk}/").content.decode()
    act(requested, "hangtianlu", "accept", confirm_urgent=False)  # declined: an ordinary event now
    page = client.get(f"/events/{requested.pk}/").content.decode()
    assert "data-urgent-request" not in page and BADGE not in page
