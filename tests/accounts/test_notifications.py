"""The inbox API and the SMS adapter."""

import pytest

from accounts import notify
from accounts.models import Notification, User

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
    settings.SMS_BACKEND = "tests.accounts.test_notifications.Recorder"
    Recorder.sent = []
    notify.deliver(rows)
    assert Recorder.sent == [("13800000001", "已超期")]  # warnings stay in the inbox
    settings.SMS_BACKEND = "tests.accounts.test_notifications.Broken"
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
