"""Pushes from sync code (the web workers, the Celery workers) to the dashboards.

A request must not pay for the push: after its commit it only hands the changed event ids on. The
publisher takes everything that is waiting, reads its items in one query, and publishes the whole
batch in one Redis round trip (a pipeline of the numbering script of `groups`), over one long-lived
connection; no connection is opened per message (stock `async_to_sync(group_send)` opens one per
call, ≈ 3 ms).

Delivery is at most once, as with every channel layer: a message lost here (Redis down, the process
killed) shows as a gap in a group's numbers, and the pages resynchronise.

`settings.LIVE_PUSH` says where that work runs:
- "queue" (production): the caller only appends the ids to a Redis list (one round trip on its
  process's connection), and the publisher process (`manage.py live_publisher`, in the Procfile) does
  the rest for everyone. Web workers stay free of it: as a thread inside each gunicorn worker the same
  work cut intake from 554 to 305 requests a second (the thread and the request fought over the GIL).
- "thread": a publisher thread in each process (no extra process to run);
- "sync": in the caller, after its commit (the tests, so a test sees its pushes at once);
- "off".
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace

import msgpack
import redis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connections
from django.db.models import Count, Q
from django.dispatch import receiver

from care.signals import care_alarm
from disputes.signals import dispute_alarm, dispute_changed
from events.signals import event_changed
from inbox.notify import notification_created
from patrols.signals import patrol_changed
from video.signals import camera_status_changed

from . import groups
from .items import dispute_items, event_items

log = logging.getLogger(__name__)

MAX_BATCH_EVENTS = 2000
# The list the "queue" mode feeds; bounded, so a stopped publisher process cannot fill Redis (the
# dashboards resynchronise from the gap in the numbers).
QUEUE_MAX = 100_000
BUSY_SECONDS = 0.02  # the publisher process counts as busy when pushes come this close together
BATCH_WAIT_SECONDS = 0.01
CONNECTION_CHECK_SECONDS = 30

_client: redis.Redis | None = None
_client_pid: int | None = None


def redis_client() -> redis.Redis:
    """This process's Redis client (a pool, re-made after a fork)."""
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        # Bounded waits: a request that queues a push must never hang on an unresponsive Redis (its
        # on_commit callback fails, is logged, and the request completes); BRPOP waits less than this.
        _client = redis.Redis.from_url(
            groups.redis_url(),
            socket_timeout=5,
            socket_connect_timeout=2,
            health_check_interval=30,
            **groups.redis_retry(),
        )
        _client_pid = os.getpid()
    return _client


def encode(kind: str, data) -> bytes:
    """The layer message for a push of `kind` (its "seq" is set by the script). `data` is JSON once,
    here, for every socket that gets it; a consumer only wraps it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    return msgpack.packb({"type": "live.push", "kind": kind, "data": text, "seq": 0})


@dataclass
class _Job:
    kind: str  # "events" | "disputes" | "care" | "patrols" | "cameras" | "notifications"
    payload: list


class Publisher:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._tree = groups.CenterTree()
        self._script = None
        self._last_drain = 0.0
        self._checked = 0.0  # when the database connection was last checked
        self.published = 0  # messages, for tests and logs

    # -- the caller's side -------------------------------------------------------------------
    def submit(self, job: _Job) -> None:
        mode = settings.LIVE_PUSH
        if mode == "off":
            return
        if mode == "sync":
            self.publish([job])
            return
        if mode == "queue":
            # Ids only: the publisher reads the rows (one query for a batch), so a sweep that writes
            # thousands of inbox messages does not encode them all again on its way to the commit.
            payload = [n.pk for n in job.payload if n.pk is not None] if job.kind == "notifications" else job.payload
            text = json.dumps({"kind": job.kind, "payload": payload}, ensure_ascii=False, cls=DjangoJSONEncoder)
            pipe = redis_client().pipeline(transaction=False)
            pipe.lpush(queue_key(), text)
            pipe.ltrim(queue_key(), 0, QUEUE_MAX - 1)
            pipe.execute()
            return
        self._ensure_thread()
        self._queue.put(job)

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                if self._pid != os.getpid():  # forked: the parent's queue and thread are not ours
                    self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
                self._thread.start()

    def flush(self, timeout: float = 2.0) -> None:
        """Waits until what is queued now has been published (at exit, and in tests)."""
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            return
        done = threading.Event()
        self._queue.put(_Job("barrier", [done]))
        done.wait(timeout)

    def stop(self, timeout: float = 2.0) -> None:
        """Publishes what is queued, then ends the thread and closes its database connection."""
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            self._queue.put(_Job("stop", []))
            self._thread.join(timeout)

    # -- the thread --------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            jobs = [self._queue.get()]
            while len(jobs) < 1000:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            barriers = [j for j in jobs if j.kind == "barrier"]
            self._check_connection()
            self._publish_logged([j for j in jobs if j.kind not in ("barrier", "stop")])
            for barrier in barriers:
                barrier.payload[0].set()
            if any(j.kind == "stop" for j in jobs):
                connections.close_all()
                return

    def _check_connection(self) -> None:
        """For a long-lived loop: Django's connection check costs a round trip, so once in a while,
        not per push."""
        if time.monotonic() - self._checked > CONNECTION_CHECK_SECONDS:
            close_old_connections()
            self._checked = time.monotonic()

    def _publish_logged(self, jobs: list[_Job]) -> None:
        """`publish`, with a failure logged, never raised: the next batch starts on a new connection,
        and the dashboards resynchronise from the gap."""
        try:
            self.publish(jobs)
        except Exception:
            log.exception("live push failed; the dashboards will resynchronise")
            connections.close_all()

    def publish(self, jobs: list[_Job]) -> None:
        """Publishes the jobs' messages in one pipeline."""
        messages: list[tuple[str, bytes]] = []
        event_ids = [i for j in jobs if j.kind == "events" for i in j.payload]
        for start in range(0, len(event_ids), MAX_BATCH_EVENTS):
            messages += self._event_messages(list(dict.fromkeys(event_ids[start : start + MAX_BATCH_EVENTS])))
        dispute_ids = list(dict.fromkeys(i for j in jobs if j.kind == "disputes" for i in j.payload))
        for start in range(0, len(dispute_ids), MAX_BATCH_EVENTS):
            messages += self._dispute_messages(dispute_ids[start : start + MAX_BATCH_EVENTS])
        care_ids = list(dict.fromkeys(i for j in jobs if j.kind == "care" for i in j.payload))
        if care_ids:
            messages += self._care_messages(care_ids)
        camera_changes = [c for j in jobs if j.kind == "cameras" for c in j.payload]
        if camera_changes:
            messages += self._camera_messages(camera_changes)
        patrol_ids = list(dict.fromkeys(i for j in jobs if j.kind == "patrols" for i in j.payload))
        for start in range(0, len(patrol_ids), MAX_BATCH_EVENTS):
            messages += self._patrol_messages(patrol_ids[start : start + MAX_BATCH_EVENTS])
        notifications = [n for j in jobs if j.kind == "notifications" for n in j.payload]
        queued_ids = [n for n in notifications if isinstance(n, int)]  # from the queue: read them
        if queued_ids:
            notifications = [n for n in notifications if not isinstance(n, int)] + _load_notifications(queued_ids)
        if notifications:
            messages += self._notification_messages(notifications)
        if not messages:
            return
        client = redis_client()
        if self._script is None or self._script[0] is not client:
            self._script = (client, client.script_load(groups.PUBLISH_SCRIPT))
        try:
            self._send(client, self._script[1], messages)
        except redis.exceptions.NoScriptError:  # Redis restarted: every call failed, none published
            self._script = (client, client.script_load(groups.PUBLISH_SCRIPT))
            self._send(client, self._script[1], messages)
        self.published += len(messages)

    @staticmethod
    def _send(client: redis.Redis, sha: str, messages: list[tuple[str, bytes]]) -> None:
        """One round trip for the batch (redis-py's Script objects add a SCRIPT EXISTS to each)."""
        pipe = client.pipeline(transaction=False)
        for group, message in messages:
            pipe.evalsha(sha, 2, groups.seq_key(group), groups.group_channel(group), message)
        pipe.execute()

    def _event_messages(self, ids: list[int]) -> list[tuple[str, bytes]]:
        departments: dict[int, set[int]] = {}
        items = event_items(ids, departments=departments)
        messages = []
        for event_id, item in items.items():
            message = encode("event", item)
            for center_id in self._tree.chain(item["origin_center_id"]):
                messages.append((groups.center_group(center_id), message))
            for department_id in sorted(departments.get(event_id, ())):
                messages.append((groups.department_group(department_id), message))
        return messages

    def _dispute_messages(self, ids: list[int]) -> list[tuple[str, bytes]]:
        """A changed dispute goes to the dashboards of its first center and every center above it
        (center staff and duty officers see disputes of their subtree: accounts.scope), never to a
        department's."""
        messages = []
        for item in dispute_items(ids).values():
            message = encode("dispute", item)
            for center_id in self._tree.chain(item["origin_center_id"]):
                messages.append((groups.center_group(center_id), message))
        return messages

    def _care_messages(self, ids: list[int]) -> list[tuple[str, bytes]]:
        """A care alarm (lost contact, a visit escalated, found again) goes to the dashboards of the
        holding center and every center above it, without the person's name (care.selectors)."""
        from care.selectors import care_alarm_items

        messages = []
        for item in care_alarm_items(ids).values():
            message = encode("care", item)
            for center_id in self._tree.chain(item["center_id"]):
                messages.append((groups.center_group(center_id), message))
        return messages

    def _camera_messages(self, changes: list[dict]) -> list[tuple[str, bytes]]:
        """Cameras whose status changed (video.signals.camera_status_changed) reach the dashboards of
        their center and every center above it: one message per center for the whole batch (a town
        losing power takes hundreds of cameras at once), saying how many changed and to what. The
        message moves the stream's number, so the dashboards' figures, with the video panel's online
        rates, follow within a second (consumers.CountsHub)."""
        per_center: dict[int, dict] = {}
        for change in changes:
            for center_id in self._tree.chain(change.get("center")):
                entry = per_center.setdefault(center_id, {"center_id": center_id, "changed": 0, "to": {}})
                entry["changed"] += 1
                entry["to"][change["to"]] = entry["to"].get(change["to"], 0) + 1
        return [(groups.center_group(pk), encode("camera", data)) for pk, data in sorted(per_center.items())]

    def _patrol_messages(self, ids: list[int]) -> list[tuple[str, bytes]]:
        """A moved, checked-in or ended patrol goes to the patrols stream of its community and every
        center above it (the centers see their subtree's patrols: accounts.scope.PATROLS_BY_ROLE).
        Many pushes of one patrol waiting together are one message (its latest state)."""
        from patrols.selectors import live_items

        messages = []
        for item in live_items(ids).values():
            message = encode("patrol", item)
            for center_id in self._tree.chain(item["center_id"]):
                messages.append((groups.patrols_group(center_id), message))
        return messages

    def _notification_messages(self, notifications) -> list[tuple[str, bytes]]:
        from inbox.models import Notification
        from inbox.subjects import url_for

        users = {n.user_id for n in notifications}
        unread = dict(
            Notification.objects.filter(user_id__in=users)
            .values_list("user_id")
            .annotate(n=Count("pk", filter=Q(read_at__isnull=True)))
        )
        messages = []
        for n in notifications:
            data = {
                "id": n.pk,
                "kind": n.kind,
                "message": n.message,
                # The subject's page; `event_id` stays for the pages written before other subjects.
                "event_id": n.subject_id if n.subject_type == "events.event" else None,
                "url": url_for(n.subject_type, n.subject_id),
                "unread": unread.get(n.user_id, 0),
            }
            messages.append((groups.user_group(n.user_id), encode("notification", data)))
        return messages

    # -- the publisher process ("queue" mode) --------------------------------------------------
    def drain(self, timeout: float = 5.0, limit: int = 1000) -> int:
        """Publishes what waits in the queue (waiting up to `timeout` for the first entry); returns
        the number of entries taken."""
        client = redis_client()
        first = client.brpop([queue_key()], timeout=timeout)
        if first is None:
            return 0
        if time.monotonic() - self._last_drain < BUSY_SECONDS:
            # Under load, a moment's wait gathers a batch: one query and one round trip for many
            # pushes instead of one each (a few milliseconds later, a fraction of the CPU).
            time.sleep(BATCH_WAIT_SECONDS)
        entries = [first[1]] + (client.rpop(queue_key(), limit - 1) or [])
        self._last_drain = time.monotonic()
        jobs, notification_ids = [], []
        for entry in entries:
            try:
                job = json.loads(entry)
                payload = job["payload"]
                if job["kind"] == "notifications":
                    notification_ids += [int(n) for n in payload]
                else:
                    jobs.append(_Job(job["kind"], payload))
            except (ValueError, KeyError, TypeError):
                log.warning("live push: an unreadable queue entry was dropped: %.200r", entry)
        if notification_ids:
            jobs.append(_Job("notifications", notification_ids))  # read in `publish`
        self._publish_logged(jobs)
        return len(entries)

    def serve(self, stop: threading.Event | None = None) -> None:
        """The publisher process's loop (`manage.py live_publisher`)."""
        while stop is None or not stop.is_set():
            try:
                self._check_connection()
                self.drain(timeout=1.0)
            except redis.exceptions.RedisError:
                log.warning("live push: Redis is unreachable, retrying")
                time.sleep(1)


def queue_key() -> str:
    return f"{groups.layer_prefix()}:live-queue"


_NOTIFICATION_FIELDS = ("pk", "user_id", "kind", "message", "subject_type", "subject_id")


def _load_notifications(ids: list[int]) -> list[SimpleNamespace]:
    """The inbox rows queued by id, in one query (a row deleted since is skipped)."""
    from inbox.models import Notification

    rows = Notification.objects.filter(pk__in=ids).order_by("pk").values_list(*_NOTIFICATION_FIELDS)
    return [SimpleNamespace(**dict(zip(_NOTIFICATION_FIELDS, row, strict=True))) for row in rows]


publisher = Publisher()
atexit.register(publisher.flush)


@receiver(event_changed, dispatch_uid="live-push-events")
def _on_event_changed(sender, event_ids, **kwargs) -> None:
    _submit(_Job("events", list(event_ids)))


@receiver(dispute_changed, dispatch_uid="live-push-disputes")
def _on_dispute_changed(sender, dispute_ids, **kwargs) -> None:
    _submit(_Job("disputes", list(dispute_ids)))


@receiver(dispute_alarm, dispatch_uid="live-push-dispute-alarms")
def _on_dispute_alarm(sender, dispute_id, **kwargs) -> None:
    _submit(_Job("disputes", [dispute_id]))


@receiver(care_alarm, dispatch_uid="live-push-care-alarms")
def _on_care_alarm(sender, person_id, **kwargs) -> None:
    _submit(_Job("care", [person_id]))


@receiver(patrol_changed, dispatch_uid="live-push-patrols")
def _on_patrol_changed(sender, patrol_ids, **kwargs) -> None:
    _submit(_Job("patrols", list(patrol_ids)))


@receiver(camera_status_changed, dispatch_uid="live-push-cameras")
def _on_camera_status_changed(sender, changes, **kwargs) -> None:
    _submit(_Job("cameras", list(changes)))


@receiver(notification_created, dispatch_uid="live-push-notifications")
def _on_notifications(sender, notifications, **kwargs) -> None:
    _submit(_Job("notifications", list(notifications)))


def _submit(job: _Job) -> None:
    """A push that cannot be queued (Redis down) is logged and dropped: the change is committed and
    stands, and the dashboards catch up from the gap in the numbers or their next snapshot."""
    try:
        publisher.submit(job)
    except Exception:
        log.exception("live push could not be queued; the dashboards will resynchronise")
