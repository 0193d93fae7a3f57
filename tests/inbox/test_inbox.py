"""The inbox: its API, its page, the SMS adapter, messages about any subject."""

import pytest

from accounts.models import User
from inbox import notify
from inbox.models import Notification

pytestmark = pytest.mark.django_db


def test_my_inbox(api, demo_user):
    me, other = demo_user("hangtianlu"), demo_user("chengwu")
    mine = [Notification.objects.create(user=me, kind="warning", message=f"消息{k}") for k in range(3)]
    theirs = Notification.objects.create(user=other, kind="warning", message="别人的")
    client = api.as_user("hangtianlu")
    assert [n["id"] for n in client.get("/api/notifications/").json()["results"]] == [n.pk for n in reversed(mine)]
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 3}
    assert client.post(f"/api/notifications/{mine[0].pk}/read/").json()["read_at"]
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 2}
    assert len(client.get("/api/notifications/", {"unread": "1"}).json()["results"]) == 2
    assert client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/api/notifications/read-all/").json() == {"marked": 2}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


class Recorder:
    sent: list = []

    def send(self, phone, text):
        Recorder.sent.append((phone, text))


class Broken:
    def send(self, phone, text):
        raise ConnectionError("gateway down")


def test_urgent_messages_go_by_sms_and_a_broken_gateway_is_only_logged(settings, demo_user):
    user = demo_user("hangtianlu")
    User.objects.filter(pk=user.pk).update(phone="13800000001")
    rows = [
        Notification(user=user, kind="overdue", message="已超期"),
        Notification(user=user, kind="warning", message="即将到期"),
    ]
    settings.SMS_BACKEND = "tests.inbox.test_inbox.Recorder"
    Recorder.sent = []
    notify.deliver(rows)
    assert Recorder.sent == [("13800000001", "已超期")]  # warnings stay in the inbox
    settings.SMS_BACKEND = "tests.inbox.test_inbox.Broken"
    notify.deliver(rows)  # no exception


def test_the_inbox_page(client, demo_user):
    me = demo_user("hangtianlu")
    first = Notification.objects.create(user=me, kind="overdue", message="事件已超期")
    Notification.objects.create(user=demo_user("chengwu"), kind="overdue", message="别人的消息")
    client.force_login(me)
    page = client.get("/inbox/").content.decode()
    assert "事件已超期" in page and "别人的消息" not in page
    assert 'class="badge"' in client.get("/").content.decode()
    client.post("/inbox/", {"id": first.pk})
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert 'class="badge"' not in client.get("/").content.decode()


def _about_an_event(user, message="事件即将到期"):
    import uuid

    from events.models import EventCategory
    from events.services import event_report
    from grids.models import Grid

    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    event, _ = event_report(
        reporter=user,
        category_id=EventCategory.objects.get(code="sa-garbage").pk,
        description="垃圾堆放",
        lat=point.y,
        lng=point.x,
        client_id=uuid.uuid4(),
    )
    return event, Notification.objects.create(
        user=user, kind="warning", message=message, subject_type="events.event", subject_id=event.pk
    )


def test_a_message_about_an_event_links_to_it_in_the_api_and_on_the_page(api, client, demo_user):
    me = demo_user("hangtianlu")
    event, n = _about_an_event(me)
    [item] = api.as_user("hangtianlu").get("/api/notifications/").json()["results"]
    assert item["id"] == n.pk and item["event"] == event.pk
    assert (item["subject_type"], item["subject_id"], item["url"]) == ("events.event", event.pk, f"/events/{event.pk}/")
    client.force_login(me)
    assert f'href="/events/{event.pk}/"' in client.get("/inbox/").content.decode()


def test_a_message_about_an_unknown_kind_of_subject_has_no_link(api, demo_user):
    Notification.objects.create(
        user=demo_user("hangtianlu"), kind="x", message="m", subject_type="no.such", subject_id=1
    )
    [item] = api.as_user("hangtianlu").get("/api/notifications/").json()["results"]
    assert (item["event"], item["url"]) == (None, None)


@pytest.mark.parametrize("bad", ["null,null", "abc", "-1", "1.5", "%20"])
def test_a_malformed_message_id_is_a_404_not_a_500(api, demo_user, bad):
    client = api.as_user("hangtianlu")
    response = client.post(f"/api/notifications/{bad}/read/")
    assert response.status_code == 404


def test_the_page_ignores_a_malformed_id(client, demo_user):
    me = demo_user("hangtianlu")
    n = Notification.objects.create(user=me, kind="warning", message="m")
    client.force_login(me)
    assert client.post("/inbox/", {"id": "null,null"}).status_code == 302
    assert Notification.objects.get(pk=n.pk).read_at is None  # not "mark all"


def test_deleting_a_subject_deletes_the_messages_about_it(demo_user, monkeypatch):
    # Events are never deleted (their timeline protects them): a calendar stands in for a subject
    # that can be, registered for this test only.
    from django.db.models.signals import post_delete

    from clocks.models import Calendar
    from inbox import subjects

    monkeypatch.setattr(subjects, "_URLS", {})
    subjects.register(Calendar, url=lambda pk: f"/calendars/{pk}/")
    try:
        me = demo_user("hangtianlu")
        calendar = Calendar.objects.create(name="临时日历", round_the_clock=True)
        about = Notification.objects.create(
            user=me, kind="x", message="m", subject_type="clocks.calendar", subject_id=calendar.pk
        )
        same_id = Notification.objects.create(
            user=me, kind="x", message="m", subject_type="events.event", subject_id=calendar.pk
        )
        assert about.subject_url == f"/calendars/{calendar.pk}/"
        calendar.delete()
        assert not Notification.objects.filter(pk=about.pk).exists()
        assert Notification.objects.filter(pk=same_id.pk).exists()  # the same id, another kind of subject
    finally:
        post_delete.disconnect(sender=Calendar, dispatch_uid="inbox-subject-clocks.calendar")


def test_the_page_costs_the_same_queries_for_3_or_30_messages_about_events(client, demo_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = demo_user("hangtianlu")
    client.force_login(me)
    counts = []
    for n in (3, 27):
        for _ in range(n):
            _about_an_event(me)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/inbox/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_inbox_send_writes_once_per_user_and_delivers_after_the_commit(demo_user, django_capture_on_commit_callbacks):
    from inbox.services import inbox_send

    me, other = demo_user("hangtianlu"), demo_user("chengwu")
    event, _ = _about_an_event(me)
    with django_capture_on_commit_callbacks() as callbacks:
        rows = inbox_send(users=[me.pk, other.pk, me.pk], kind="task", message="请处理" * 200, subject=event)
    assert sorted(r.user_id for r in rows) == sorted([me.pk, other.pk])
    assert all(len(r.message) == 500 and (r.subject_type, r.subject_id) == ("events.event", event.pk) for r in rows)
    assert len(callbacks) == 1


def test_the_inbox_imports_no_case_type():
    from pathlib import Path

    from tests.clocks.test_clocks import _imports

    root = Path(__file__).resolve().parents[2]
    assert not _imports(root / "inbox") & {"events", "disputes", "video", "grids", "wenjiang_ops", "clocks"}
