"""From alarm to event: clustering windows, thresholds, quiet hours, mapping, throttling, and the
outbox's recovery when no worker ran (the periodic pass)."""

from datetime import time as clock
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from alarms import services
from alarms.choices import Status
from alarms.models import Alarm, AlarmCluster, AlarmType, Source
from clocks.sweep import sweep_all
from events.choices import Action, State
from events.choices import Source as EventSource
from events.models import Event, EventAction
from inbox.models import Notification

from .conftest import body_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(face, device, post):
    """Posts one alarm of `device` at `at` (default now) and returns its row."""

    def alarm(alarm_type="watchlist", at=None, dev=None, **data):
        at = at or timezone.now()
        body = body_for(dev or device, alarm_type, occurred_at=timezone.localtime(at).isoformat())
        if alarm_type == "stranger":
            body["data"] = {"similarity": 0.4}
        response = post(face, body)
        assert response.status_code == 201, response.content
        return Alarm.objects.get(pk=response.json()["id"])

    return alarm


def process(captured=None):
    """What a worker does after the webhook's commit."""
    return services.alarms_process(now=timezone.now() + timedelta(seconds=1))


def timeline_alarm_ids(event: Event) -> list[int]:
    ids = []
    for row in EventAction.objects.filter(event=event, action=Action.REPORT).order_by("created_at", "id"):
        ids += row.data.get("alarms", [])
    return ids


def test_an_alarm_becomes_an_event_through_the_intake(face, device, send, django_capture_on_commit_callbacks):
    from alarms.signals import alarm_event_made

    heard = []
    alarm_event_made.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="t1")
    try:
        alarm = send()
        with django_capture_on_commit_callbacks(execute=True):
            assert process() == 1
    finally:
        alarm_event_made.disconnect(dispatch_uid="t1")
    alarm.refresh_from_db()
    assert alarm.status == Status.EVENT and alarm.processed_at is not None
    event = alarm.cluster.event
    watchlist = AlarmType.objects.get(source=face, code="watchlist")
    assert (event.source, event.category_id, event.urgent) == (EventSource.IOT, watchlist.category_id, True)
    assert (event.grid_id, event.center_id, event.state) == (device.grid_id, device.center_id, State.REPORTED)
    assert event.location.equals_exact(device.location, 1e-9)
    assert event.reporter_id == face.account_id and not face.account.is_active
    assert event.due_at is not None and hasattr(event, "schedule")  # the clocks run as for any event
    assert device.name in event.description and "similarity=0.93" in event.description
    assert timeline_alarm_ids(event) == [alarm.pk]
    assert heard and heard[0]["event_id"] == event.pk and heard[0]["device_id"] == device.pk


def test_an_event_an_alarm_made_queues_the_video_response_once(
    face, device, send, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The video app's receiver queues its task (video.tasks.alarm_response_task) after the commit, once
    per event made: a repeat joining the event queues nothing (the task is tests/video/test_alarm_response)."""
    from video.tasks import alarm_response_task

    settings.VIDEO_ALARM_CAMERAS = 3
    queued = []
    monkeypatch.setattr(alarm_response_task, "delay", lambda *args: queued.append(args))
    first = send()
    with django_capture_on_commit_callbacks(execute=True):
        process()
    first.refresh_from_db()
    assert queued == [(first.cluster.event_id,)]
    send()
    with django_capture_on_commit_callbacks(execute=True):
        process()
    assert queued == [(first.cluster.event_id,)]


def test_repeats_within_the_window_join_the_event_and_each_is_on_its_timeline(face, device, send):
    start = timezone.now() - timedelta(minutes=50)
    alarms = [send(at=start + timedelta(minutes=m)) for m in (0, 20, 40)]  # 20 min apart, window 30
    process()
    cluster = AlarmCluster.objects.get(device=device, alarm_type__code="watchlist")
    assert cluster.count == 3
    assert (cluster.first_seen_at, cluster.last_seen_at) == (alarms[0].occurred_at, alarms[2].occurred_at)
    assert timeline_alarm_ids(cluster.event) == [a.pk for a in alarms]
    assert EventAction.objects.filter(event=cluster.event).count() == 3
    # Every row is the source's (its system account), reported again, the state unchanged.
    rows = EventAction.objects.filter(event=cluster.event)
    assert set(rows.values_list("actor_id", "from_state", "to_state")) == {
        (face.account_id, "", State.REPORTED),
        (face.account_id, State.REPORTED, State.REPORTED),
    }
    assert [a.status for a in Alarm.objects.filter(pk__in=[a.pk for a in alarms]).order_by("pk")] == [
        Status.EVENT,
        Status.CLUSTERED,
        Status.CLUSTERED,
    ]
    # A later batch: the same cluster moves.
    late = send(at=start + timedelta(minutes=45))
    process()
    cluster.refresh_from_db()
    assert cluster.count == 4 and timeline_alarm_ids(cluster.event)[-1] == late.pk
    assert Event.objects.filter(source=EventSource.IOT, alarm_cluster__device=device).count() == 1


def test_an_alarm_after_the_window_makes_a_new_event(face, device, send):
    start = timezone.now() - timedelta(hours=2)
    send(at=start)
    process()
    send(at=start + timedelta(minutes=31))  # cluster window 30 minutes
    process()
    assert AlarmCluster.objects.filter(device=device, event__isnull=False).count() == 2


def test_the_cluster_window_is_the_sources(face, device, send):
    Source.objects.filter(pk=face.pk).update(cluster_window_minutes=60)
    services.config_forget()
    start = timezone.now() - timedelta(hours=2)
    send(at=start)
    send(at=start + timedelta(minutes=55))
    process()
    assert AlarmCluster.objects.filter(device=device).count() == 1


def test_a_closed_event_takes_no_more_alarms(device, send):
    first = send(at=timezone.now() - timedelta(minutes=5))
    process()
    first.refresh_from_db()
    Event.objects.filter(pk=first.cluster.event_id).update(state=State.CLOSED, closed_at=timezone.now())
    second = send()
    process()
    second.refresh_from_db()
    assert second.status == Status.EVENT and second.cluster.event_id != first.cluster.event_id


def test_types_of_one_device_cluster_apart(face, device, send):
    AlarmType.objects.filter(source=face, code="stranger").update(threshold=1)
    send("watchlist")
    send("stranger")
    process()
    assert AlarmCluster.objects.filter(device=device, event__isnull=False).count() == 2


def test_a_threshold_needs_n_alarms_within_its_window(face, device, send):
    # stranger: 3 alarms within 30 minutes make an event (the demo mapping)
    start = timezone.now() - timedelta(hours=3)
    early = send("stranger", at=start)
    send("stranger", at=start + timedelta(minutes=31))  # too late for the first: counting restarts
    process()
    assert not AlarmCluster.objects.filter(device=device, event__isnull=False).exists()
    early.refresh_from_db()
    assert early.status == Status.BELOW_THRESHOLD
    second = send("stranger", at=start + timedelta(minutes=40))
    process()
    assert not Event.objects.filter(alarm_cluster__device=device).exists()
    third = send("stranger", at=start + timedelta(minutes=50))
    process()
    third.refresh_from_db()
    event = third.cluster.event
    assert third.status == Status.EVENT and event.urgent is False
    pending_ids = list(Alarm.objects.filter(cluster=third.cluster).order_by("pk").values_list("pk", flat=True))
    assert len(pending_ids) == 3 and second.pk in pending_ids and early.pk not in pending_ids
    assert timeline_alarm_ids(event) == pending_ids  # the first row names the alarms that made it


def test_quiet_hours_keep_alarms_without_events(face, device, send):
    now = timezone.localtime()
    AlarmType.objects.filter(source=face, code="watchlist").update(
        quiet_from=(now - timedelta(hours=1)).time(), quiet_to=(now + timedelta(hours=1)).time()
    )
    alarm = send()
    process()
    alarm.refresh_from_db()
    assert alarm.status == Status.QUIET and alarm.cluster_id is None
    assert not Event.objects.filter(alarm_cluster__device=device).exists()


def test_quiet_hours_do_not_hide_an_open_events_repeats(face, device, send):
    send(at=timezone.now() - timedelta(minutes=10))
    process()
    now = timezone.localtime()
    AlarmType.objects.filter(source=face, code="watchlist").update(
        quiet_from=(now - timedelta(hours=1)).time(), quiet_to=(now + timedelta(hours=1)).time()
    )
    repeat = send()
    process()
    repeat.refresh_from_db()
    assert repeat.status == Status.CLUSTERED


def test_the_mapping_sets_category_and_urgency(face, device, send):
    from events.models import EventCategory

    category = EventCategory.objects.get(code="fs-ebike")
    AlarmType.objects.filter(source=face, code="watchlist").update(category=category, urgent=False)
    alarm = send()
    process()
    alarm.refresh_from_db()
    assert (alarm.cluster.event.category_id, alarm.cluster.event.urgent) == (category.pk, False)


def test_a_flooding_source_is_throttled_and_its_department_told_once(face, send):
    Source.objects.filter(pk=face.pk).update(max_events_per_hour=2)
    devices = list(face.devices.filter(center__isnull=False).order_by("pk")[:4])
    alarms = [send(dev=d) for d in devices]
    process()
    statuses = [a.status for a in Alarm.objects.filter(pk__in=[a.pk for a in alarms]).order_by("pk")]
    assert statuses == [Status.EVENT, Status.EVENT, Status.THROTTLED, Status.THROTTLED]
    assert Event.objects.filter(alarm_cluster__device__in=devices).count() == 2
    staff = set(User.objects.filter(department=face.department, is_active=True).values_list("pk", flat=True))
    told = Notification.objects.filter(kind="alarm_source_throttled")
    assert set(told.values_list("user_id", flat=True)) == staff and told.count() == len(staff)
    # Nothing reached a center: the duty officer's inbox is untouched.
    assert not Notification.objects.filter(kind="alarm_source_throttled", user__username="duty").exists()
    # An open event's repeats still join it while the source is throttled.
    repeat = send(dev=devices[0])
    process()
    repeat.refresh_from_db()
    assert repeat.status == Status.CLUSTERED


def test_a_device_outside_every_grid_keeps_its_alarms_without_events(face, device, send):
    from alarms.models import Device

    Device.objects.filter(pk=device.pk).update(center=None, grid=None)
    alarm = send()
    process()
    alarm.refresh_from_db()
    assert alarm.status == Status.UNPLACED and alarm.processed_at is not None


def test_with_the_worker_down_the_periodic_pass_processes_the_outbox(device, send):
    alarms = [send(at=timezone.now() - timedelta(seconds=k)) for k in range(3)]
    assert Alarm.objects.filter(pk__in=[a.pk for a in alarms], processed_at__isnull=True).count() == 3
    results = sweep_all(now=timezone.now() + timedelta(seconds=1))  # beat's clocks.sweep
    assert results["alarms"] == 3
    assert not Alarm.objects.filter(pk__in=[a.pk for a in alarms], processed_at__isnull=True).exists()
    assert sweep_all(now=timezone.now() + timedelta(seconds=1))["alarms"] == 0  # a repeat changes nothing


def test_processing_twice_changes_nothing(device, send):
    alarm = send()
    process()
    rows = EventAction.objects.count()
    assert process() == 0
    assert EventAction.objects.count() == rows
    alarm.refresh_from_db()
    assert alarm.cluster.count == 1


def test_the_webhook_asks_a_worker_once_while_one_is_pending(
    settings, device, send, monkeypatch, django_capture_on_commit_callbacks
):
    from alarms import tasks

    settings.ALARMS_KICK = True
    monkeypatch.setattr(services, "KICK_SECONDS", 0)  # the per-process pause between asks: tested below
    asked = []
    monkeypatch.setattr(tasks.process_task, "delay", lambda: asked.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        send()
        send()
    assert asked == [1]
    tasks.process_task.run()  # the worker clears the request before it drains
    with django_capture_on_commit_callbacks(execute=True):
        send()
    assert asked == [1, 1]
    assert Alarm.objects.filter(processed_at__isnull=True).count() == 1


def test_the_dashboards_hear_of_new_and_joined_events(device, send, django_capture_on_commit_callbacks):
    from events.signals import event_changed

    heard = []
    event_changed.connect(lambda **kw: heard.append((kw["event_ids"], kw["action"])), weak=False, dispatch_uid="t2")
    try:
        send(at=timezone.now() - timedelta(minutes=2))
        with django_capture_on_commit_callbacks(execute=True):
            process()
        send()
        send()
        with django_capture_on_commit_callbacks(execute=True):
            process()
    finally:
        event_changed.disconnect(dispatch_uid="t2")
    event_id = AlarmCluster.objects.get(device=device).event_id
    assert heard == [([event_id], "report"), ([event_id], "report")]  # one push per batch, not per alarm


def test_quiet_hours_time_is_the_local_wall_clock(face, device, send):
    # 02:00 local is inside 22:00-06:00 whatever the server's UTC offset.
    AlarmType.objects.filter(source=face, code="watchlist").update(quiet_from=clock(22, 0), quiet_to=clock(6, 0))
    local = timezone.localtime()
    at = local.replace(hour=2, minute=0, second=0, microsecond=0)
    if at > local:
        at -= timedelta(days=1)
    alarm = send(at=at)
    process()
    alarm.refresh_from_db()
    assert alarm.status == Status.QUIET


def test_a_process_asks_at_most_once_in_a_short_while(settings, monkeypatch):
    from alarms import tasks

    settings.ALARMS_KICK = True
    asked = []
    monkeypatch.setattr(tasks.process_task, "delay", lambda: asked.append(1))
    # Never asked before (-inf: time.monotonic() counts from the machine's boot, which may be under an hour ago).
    monkeypatch.setattr(services, "_kicked_at", float("-inf"))
    monkeypatch.setattr(services, "KICK_SECONDS", 3600)
    services.kick()
    tasks.process_task.run()  # clears the shared request: only the process's own pause holds the next
    services.kick()
    assert asked == [1]
    monkeypatch.setattr(services, "KICK_SECONDS", 0)
    services.kick()
    assert asked == [1, 1]
