"""POST /api/alarms/{source}/: signatures, replays, addresses, schemas, idempotency, rate limits.
The webhook only stores the alarm (processing is tested in test_processing)."""

import json
import time

import pytest

from accounts.models import User
from alarms.choices import Status
from alarms.models import Alarm, Source
from events.models import Event
from inbox.models import Notification

from .conftest import body_for

pytestmark = pytest.mark.django_db


def test_a_signed_alarm_is_stored_and_answered_at_once(face, device, post):
    events = Event.objects.count()
    body = body_for(device)
    response = post(face, body)
    assert response.status_code == 201, response.content
    answer = response.json()
    alarm = Alarm.objects.get(pk=answer["id"])
    assert (answer["alarm_id"], answer["status"]) == (body["alarm_id"], "pending")
    assert (alarm.source_id, alarm.device_id, alarm.alarm_type.code) == (face.pk, device.pk, "watchlist")
    assert alarm.status == Status.PENDING and alarm.processed_at is None
    assert alarm.payload == {"message": body["message"], "data": body["data"]}
    assert Event.objects.count() == events  # the work runs after the answer


def test_a_repeat_of_an_alarm_id_answers_the_same_alarm_and_writes_nothing(face, device, post):
    body = body_for(device)
    first = post(face, body)
    again = post(face, {**body, "message": "changed"})  # other bytes, so another signature: not a replay
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Alarm.objects.filter(source=face, external_id=body["alarm_id"]).count() == 1
    assert Alarm.objects.get(pk=first.json()["id"]).payload["message"] == body["message"]


def test_the_same_alarm_id_from_another_source_is_another_alarm(face, device, post):
    from alarms.services import source_secret_reset

    fence = Source.objects.get(code="e-fence")
    fence.known_secret = source_secret_reset(source=fence)
    fence_device = fence.devices.filter(center__isnull=False).first()
    body = body_for(device)
    other = body_for(fence_device, "intrusion", alarm_id=body["alarm_id"], data={"zone": "北区"})
    assert post(face, body).status_code == 201
    assert post(fence, other).status_code == 201


def test_unsigned_requests_are_refused(face, device, post):
    response = post(face, body_for(device), signature=False)
    assert response.status_code == 401
    assert "X-Alarm-Signature" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("HMAC-SHA256")
    assert not Alarm.objects.filter(source=face, status=Status.PENDING).exists()


def test_a_bad_signature_is_refused(face, device, post):
    response = post(face, body_for(device), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["detail"] == "签名错误。"


def test_a_signature_of_another_body_is_refused(face, device, post):
    import json as j

    from wenjiang_ops.signing import sign

    ts = str(int(time.time()))
    signature = sign(face.known_secret, ts, j.dumps(body_for(device)).encode())
    assert post(face, body_for(device), timestamp=ts, signature=signature).status_code == 401


@pytest.mark.parametrize("skew", [-400, 400])
def test_stale_or_future_timestamps_are_refused(face, device, post, skew):
    response = post(face, body_for(device), timestamp=int(time.time()) + skew)
    assert response.status_code == 401
    assert "5" in response.json()["detail"]


def test_a_replayed_request_is_refused(face, device, post):
    raw = json.dumps(body_for(device)).encode()
    ts = int(time.time())
    assert post(face, raw, timestamp=ts).status_code == 201
    replay = post(face, raw, timestamp=ts)
    assert replay.status_code == 401
    assert "重放" in replay.json()["detail"]
    assert (
        Alarm.objects.filter(source=face).count()
        == 1 + Alarm.objects.filter(source=face).exclude(status=Status.PENDING).count()
    )


def test_an_address_outside_the_allowed_networks_is_refused(face, device, post):
    Source.objects.filter(pk=face.pk).update(allowed_addresses="10.20.0.0/16\n192.168.1.7")
    response = post(face, body_for(device), addr="10.30.0.5")
    assert response.status_code == 403
    assert post(face, body_for(device), addr="10.20.3.4").status_code == 201
    assert post(face, body_for(device), addr="192.168.1.7").status_code == 201


def test_the_address_is_checked_before_the_signature(face, device, post):
    Source.objects.filter(pk=face.pk).update(allowed_addresses="10.20.0.0/16")
    assert post(face, body_for(device), signature=False, addr="8.8.8.8").status_code == 403


def test_unknown_or_inactive_sources_are_not_found(face, device, post):
    assert post(face, body_for(device)).status_code == 201
    Source.objects.filter(pk=face.pk).update(active=False)
    from alarms.services import config_forget

    config_forget()
    assert post(face, body_for(device)).status_code == 404
    face.code = "no-such-source"
    assert post(face, body_for(device)).status_code == 404


def test_a_body_that_is_not_json_is_refused(face, post):
    response = post(face, b"alarm!")
    assert response.status_code == 400
    assert response.json() == {"detail": ["请求体不是 JSON。"]}


def test_schema_errors_are_answered_per_field(face, device, post):
    body = {**body_for(device), "data": {"similarity": 3}, "type": "nope"}
    response = post(face, body)
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"type", "data.similarity"}
    assert not Alarm.objects.filter(external_id=body["alarm_id"]).exists()


def test_an_unknown_device_is_refused(face, device, post):
    response = post(face, {**body_for(device), "device": "NO-SUCH"})
    assert response.status_code == 400
    assert list(response.json()) == ["device"]


def test_a_device_of_another_source_is_unknown_here(face, post):
    fence_device = Source.objects.get(code="e-fence").devices.first()
    assert post(face, body_for(fence_device)).status_code == 400


def test_the_rate_limit_answers_429_with_retry_after_and_tells_the_owner_once(face, device, post):
    Source.objects.filter(pk=face.pk).update(rate_limit_count=3, rate_limit_seconds=60)
    police_staff = set(User.objects.filter(department=face.department, is_active=True).values_list("pk", flat=True))
    assert police_staff
    codes = [post(face, body_for(device)).status_code for _ in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    refused = post(face, body_for(device))
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "秒" in refused.json()["detail"]
    told = Notification.objects.filter(kind="alarm_source_throttled")
    assert set(told.values_list("user_id", flat=True)) == police_staff
    assert told.count() == len(police_staff)  # once, however many were refused
    assert face.name in told.first().message


def test_a_repeat_is_not_counted_against_the_rate(face, device, post):
    Source.objects.filter(pk=face.pk).update(rate_limit_count=2, rate_limit_seconds=60)
    body = body_for(device)
    now = int(time.time())
    # A retry is signed afresh (a new timestamp): the same bytes and signature again would be a replay.
    assert [post(face, body, timestamp=now - k).status_code for k in range(3)] == [201, 200, 200]
    assert post(face, body_for(device)).status_code == 201


def test_the_webhook_needs_no_session_or_token_and_no_csrf(face, device):
    from django.test import Client

    from wenjiang_ops.signing import sign

    client = Client(enforce_csrf_checks=True)
    raw = json.dumps(body_for(device)).encode()
    ts = str(int(time.time()))
    response = client.post(
        f"/api/alarms/{face.code}/",
        data=raw,
        content_type="application/json",
        HTTP_X_ALARM_TIMESTAMP=ts,
        HTTP_X_ALARM_SIGNATURE=sign(face.known_secret, ts, raw),
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 201
