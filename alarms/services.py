"""Every write of the alarms app: sources' secrets and accounts, devices' places, the webhook's
intake (`alarm_receive`) and the processing of the outbox (`alarms_process`).

The webhook only checks the request and stores the alarm row; clustering, events and timelines run
after its commit in a Celery task, and the shared periodic sweep (clocks.sweep) picks up any row
left unprocessed, so a worker that is down loses nothing."""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, User
from clocks import sweep as shared_sweep
from events.choices import Source as EventSource
from events.choices import State as EventState
from events.services import event_notes_add_many, event_report_system, publish_many
from grids.selectors import GridNotFound, grid_at
from inbox.services import inbox_send
from wenjiang_ops import ratelimit, signing

from .choices import Status
from .domain import clustering, schemas
from .models import Alarm, AlarmCluster, AlarmType, Device, Source, parse_networks
from .signals import alarm_event_made

log = logging.getLogger(__name__)

# The event states in which an event still takes alarms (a final one makes the next alarm a new event).
FINAL_STATES = {EventState.CLOSED, EventState.REJECTED, EventState.MERGED}
CONFIG_SECONDS = 10  # how long a process trusts its copy of a source's settings
CACHE_NAMESPACE = "alarms"  # tests give each test its own
BATCH_SIZE = 200
TOLD_KIND = "alarm_source_throttled"
NAMESPACE = uuid.UUID("8d3c3a55-3f1e-4d0e-9a43-5b0f3c1e7a15")


class SourceNotFound(Exception):
    """No active source of that code (404)."""


class AddressRefused(Exception):
    """The request comes from an address the source does not allow (403)."""


class SignatureRefused(Exception):
    """Unsigned, stale, badly signed or replayed (401)."""


# --- sources and devices --------------------------------------------------------------------------


def source_secret_reset(*, source: Source) -> str:
    """Gives the source a new random secret and returns it: the only time it is shown."""
    secret = secrets.token_urlsafe(32)
    source.secret = secret
    if source.pk:
        Source.objects.filter(pk=source.pk).update(secret=secret)
    config_forget()
    return secret


@transaction.atomic
def source_save(*, source: Source) -> str | None:
    """Saves a source made or changed by an administrator, with its system account (inactive, no
    password: it only reports the source's events). Returns the new secret of a new source (to show
    once), else None."""
    secret = None
    if not source.secret:
        secret = source_secret_reset(source=source)
    source.save()
    if source.account_id is None:
        account = User(
            username=f"alarm-source-{source.pk}",
            first_name=source.name[:150],
            role=Role.DEPARTMENT_STAFF,
            department_id=source.department_id,
            is_active=False,
        )
        account.set_unusable_password()
        account.save()
        Source.objects.filter(pk=source.pk).update(account=account)
        source.account = account
    else:
        User.objects.filter(pk=source.account_id).update(
            first_name=source.name[:150], department_id=source.department_id
        )
    config_forget()
    return secret


def device_place(*, device: Device) -> None:
    """Sets the device's grid and center from its position (PostGIS, as an event's); a device outside
    every grid keeps none, and its alarms are kept without an event."""
    try:
        grid = grid_at(device.location)
    except GridNotFound:
        device.grid, device.center = None, None
        return
    device.grid, device.center = grid, grid.center


def device_save(*, device: Device) -> Device:
    device_place(device=device)
    device.save()
    config_forget()
    return device


# --- the webhook ----------------------------------------------------------------------------------


@dataclass
class SourceConfig:
    """What the webhook needs of a source, kept by each process for CONFIG_SECONDS."""

    id: int
    code: str
    kind: str
    secret: str
    networks: list
    limit: ratelimit.Limit
    department_id: int
    types: dict[str, int]
    loaded_at: float
    devices: dict[str, int] = field(default_factory=dict)


_configs: dict[str, SourceConfig] = {}
_configs_lock = threading.Lock()


def config_forget() -> None:
    """Drops this process's copies (after a change here; other processes follow within CONFIG_SECONDS)."""
    with _configs_lock:
        _configs.clear()


def source_config(code: str) -> SourceConfig:
    config = _configs.get(code)
    if config is not None and time.monotonic() - config.loaded_at < CONFIG_SECONDS:
        return config
    source = Source.objects.filter(code=code, active=True).first()
    if source is None:
        raise SourceNotFound(_("No such alarm source."))
    types = dict(AlarmType.objects.filter(source=source, active=True).values_list("code", "id"))
    config = SourceConfig(
        id=source.pk,
        code=source.code,
        kind=source.kind,
        secret=source.secret,
        networks=parse_networks(source.allowed_addresses),
        limit=ratelimit.Limit(source.rate_limit_count, source.rate_limit_seconds),
        department_id=source.department_id,
        types=types,
        loaded_at=time.monotonic(),
    )
    with _configs_lock:
        _configs[code] = config
    return config


def _device_id(config: SourceConfig, code: str) -> int | None:
    found = config.devices.get(code)
    if found is None:
        found = Device.objects.filter(source_id=config.id, code=code, active=True).values_list("id", flat=True).first()
        if found is not None:
            config.devices[code] = found
    return found


def _signature_message(reason: str) -> str:
    return {
        "unsigned": _("Unsigned request: send X-Alarm-Timestamp and X-Alarm-Signature."),
        "timestamp": _("X-Alarm-Timestamp must be a Unix time in seconds."),
        "stale": _("The request's timestamp is more than 5 minutes from the server's clock."),
        "signature": _("Bad signature."),
        "replay": _("This signed request was already received (a replay)."),
    }[reason]


def _seen_before(config: SourceConfig, signature: str) -> bool:
    """Remembers a verified signature for as long as its timestamp is fresh; True if it was seen."""
    try:
        return not cache.add(f"{CACHE_NAMESPACE}:sig:{config.id}:{signature}", 1, timeout=2 * signing.MAX_SKEW_SECONDS)
    except Exception:  # the cache is down: alarm ids still keep repeats out
        log.warning("alarm replay check skipped: the cache did not answer", exc_info=True)
        return False


_INSERT = """
INSERT INTO alarms_alarm (source_id, external_id, device_id, alarm_type_id, occurred_at, received_at, payload, status)
VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending')
ON CONFLICT (source_id, external_id) DO NOTHING
RETURNING id
"""


def alarm_receive(
    *,
    source_code: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    remote_addr: str | None,
    now: datetime | None = None,
) -> tuple[dict, bool]:
    """Takes one alarm from the webhook: checks the source, the address, the signature, the rate
    and the body, and stores the alarm row, nothing else. Returns (the alarm as answered, created);
    the same alarm id again returns the alarm stored the first time and writes nothing. Raises
    SourceNotFound (404), AddressRefused (403), SignatureRefused (401), ratelimit.RateLimited (429)
    or ValidationError (400)."""
    config = source_config(source_code)
    if config.networks:
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            address = None
        if address is None or not any(address in network for network in config.networks):
            raise AddressRefused(_("Requests from this address are not allowed for this source."))
    try:
        signing.verify(config.secret, timestamp, signature, body, now=time.time())
    except signing.BadSignature as exc:
        raise SignatureRefused(_signature_message(str(exc))) from None
    if _seen_before(config, signature.strip()):
        raise SignatureRefused(_signature_message("replay"))
    counted = ratelimit.hit("alarms", config.id, config.limit)
    if not counted.allowed:
        _tell_owner_once(config.id, "rate", counted.retry_after)
        raise ratelimit.RateLimited(
            counted.retry_after,
            _("Too many alarms from this source: try again in %(s)d seconds.") % {"s": counted.retry_after},
        )
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"detail": [_("The body is not JSON.")]}) from None
    now = now or timezone.now()
    clean, errors = schemas.validate(decoded, kind=config.kind, types=set(config.types), now=now)
    device_id = None
    if clean is not None:
        device_id = _device_id(config, clean.device)
        if device_id is None:
            errors = {"device": ["unknown device for this source"]}
    if errors:
        raise ValidationError(errors)
    payload = {"message": clean.message, "data": clean.data}
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT,
            [
                config.id,
                clean.alarm_id,
                device_id,
                config.types[clean.type],
                clean.occurred_at,
                now,
                json.dumps(payload, ensure_ascii=False),
            ],
        )
        row = cursor.fetchone()
    if row is None:  # a repeat: the alarm stored the first time
        ratelimit.undo(counted)
        existing = Alarm.objects.only("id", "external_id", "status", "received_at").get(
            source_id=config.id, external_id=clean.alarm_id
        )
        return _answer(existing.pk, existing.external_id, existing.status, existing.received_at), False
    transaction.on_commit(kick, robust=True)
    return _answer(row[0], clean.alarm_id, Status.PENDING, now), True


def _answer(pk: int, external_id: str, status: str, received_at: datetime) -> dict:
    return {"id": pk, "alarm_id": external_id, "status": str(status), "received_at": received_at}


KICK_SECONDS = 0.1
_kicked_at = -1.0


def kick_key() -> str:
    return f"{CACHE_NAMESPACE}:kick"


def kick() -> None:
    """Asks a worker to process the outbox: at most one request waiting at a time (the task clears
    the key before it drains, so an alarm stored after that asks again)."""
    global _kicked_at
    if not getattr(settings, "ALARMS_KICK", True):
        return
    # At most one ask per process every KICK_SECONDS: under load the cache round trip per alarm
    # would cost as much as storing it. An alarm not asked for is taken by the next run (any
    # process's next alarm asks again), or at the latest by the periodic pass (clocks.sweep).
    moment = time.monotonic()
    if moment - _kicked_at < KICK_SECONDS:
        return
    _kicked_at = moment
    if cache.add(kick_key(), 1, timeout=5):
        from .tasks import process_task

        process_task.delay()


# --- processing -----------------------------------------------------------------------------------

CLAIM = """
SELECT id FROM alarms_alarm
WHERE processed_at IS NULL AND received_at <= %(now)s
ORDER BY id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
"""

LATEST_CLUSTERS = """
SELECT DISTINCT ON (c.device_id, c.alarm_type_id)
       c.device_id, c.alarm_type_id, c.id, c.event_id, c.count, c.first_seen_at, c.last_seen_at, e.state
FROM alarms_alarmcluster c LEFT JOIN events_event e ON e.id = c.event_id
WHERE (c.device_id, c.alarm_type_id) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))
ORDER BY c.device_id, c.alarm_type_id, c.last_seen_at DESC, c.id DESC
"""


def alarms_process(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Processes every alarm waiting in the outbox, batch after batch (each batch one transaction,
    its alarms claimed with SKIP LOCKED: concurrent runs share the work). Returns how many."""
    return shared_sweep.run_claimed(CLAIM, _process, now=now or timezone.now(), batch_size=batch_size)


def sweep(*, now: datetime | None = None) -> int:
    """The periodic pass (registered with clocks.sweep): whatever no task processed."""
    return alarms_process(now=now)


def _rule(alarm_type: AlarmType, source: Source) -> clustering.Rule:
    return clustering.Rule(
        threshold=alarm_type.threshold,
        threshold_window=timedelta(minutes=alarm_type.threshold_window_minutes),
        cluster_window=timedelta(minutes=source.cluster_window_minutes),
        quiet_from=alarm_type.quiet_from,
        quiet_to=alarm_type.quiet_to,
    )


def _process(ids: list[int], now: datetime) -> int:
    """One claimed batch, inside its transaction. Takes the devices' row locks (ascending ids, so
    concurrent batches never deadlock), then each event's as it adds to its timeline."""
    alarms = list(
        Alarm.objects.filter(pk__in=ids).select_related(
            "alarm_type", "alarm_type__category", "source", "source__account"
        )
    )
    device_ids = sorted({a.device_id for a in alarms})
    devices = {
        d.pk: d
        for d in Device.objects.select_for_update(of=("self",))
        .select_related("grid__center")
        .filter(pk__in=device_ids)
        .order_by("pk")
    }
    keys = sorted({(a.device_id, a.alarm_type_id) for a in alarms})
    latest: dict[tuple[int, int], AlarmCluster] = {}
    event_state: dict[int, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(LATEST_CLUSTERS, [[k[0] for k in keys], [k[1] for k in keys]])
        for device_id, type_id, pk, event_id, count, first, last, state in cursor.fetchall():
            latest[(device_id, type_id)] = AlarmCluster(
                pk=pk,
                device_id=device_id,
                alarm_type_id=type_id,
                event_id=event_id,
                count=count,
                first_seen_at=first,
                last_seen_at=last,
            )
            if event_id:
                event_state[event_id] = state
    alarms.sort(key=lambda a: (a.device_id, a.alarm_type_id, a.occurred_at, a.pk))
    changed: dict[int, AlarmCluster] = {}
    notes: dict[int, list[tuple[datetime, str, dict]]] = defaultdict(list)
    reporters: dict[int, User] = {}  # each event's repeats are reported by its source's account
    made: list[tuple[int, int, int]] = []
    for alarm in alarms:
        device, alarm_type, source = devices[alarm.device_id], alarm.alarm_type, alarm.source
        key = (alarm.device_id, alarm.alarm_type_id)
        current = latest.get(key)
        alarm.processed_at = now
        if device.center_id is None:
            alarm.status = Status.UNPLACED
            continue
        facts = None
        if current is not None:
            state = event_state.get(current.event_id) if current.event_id else None
            facts = clustering.Cluster(
                has_event=current.event_id is not None,
                event_open=state not in FINAL_STATES,
                count=current.count,
                first_seen=current.first_seen_at,
                last_seen=current.last_seen_at,
            )
        local = timezone.localtime(alarm.occurred_at).time()
        decision = clustering.decide(_rule(alarm_type, source), facts, alarm.occurred_at, local)
        if decision.outcome == clustering.Outcome.QUIET:
            alarm.status = Status.QUIET
            continue
        if decision.outcome == clustering.Outcome.EVENT and not _may_make_event(source):
            alarm.status = Status.THROTTLED
            continue
        if decision.new_cluster:
            current = AlarmCluster.objects.create(
                device=device,
                alarm_type=alarm_type,
                count=0,
                first_seen_at=alarm.occurred_at,
                last_seen_at=alarm.occurred_at,
            )
            latest[key] = current
        current.count += 1
        current.first_seen_at = min(current.first_seen_at, alarm.occurred_at)
        current.last_seen_at = max(current.last_seen_at, alarm.occurred_at)
        alarm.cluster = current
        changed[current.pk] = current
        if decision.outcome == clustering.Outcome.JOIN:
            alarm.status = Status.CLUSTERED
            # On the timeline at the moment the platform learned of it (the timeline runs in time order);
            # the device's own time is in the row's data.
            notes[current.event_id].append((now, _note(alarm, device, current), _alarm_data(alarm, device)))
            reporters[current.event_id] = source.account
        elif decision.outcome == clustering.Outcome.COUNT:
            alarm.status = Status.BELOW_THRESHOLD
        else:
            alarm.status = Status.EVENT
            event = _make_event(alarm, device, current, now)
            current.event_id = event.pk
            event_state[event.pk] = event.state
            made.append((event.pk, device.pk, current.pk))
    if notes:
        event_notes_add_many(notes={e: (reporters[e], rows) for e, rows in notes.items()}, publish=False)
    if changed:
        AlarmCluster.objects.bulk_update(list(changed.values()), ["count", "first_seen_at", "last_seen_at", "event"])
    Alarm.objects.bulk_update(alarms, ["status", "processed_at", "cluster"])
    joined = list(notes)
    if joined:
        transaction.on_commit(lambda: publish_many(joined, "report"), robust=True)
    for event_id, device_id, cluster_id in made:
        location = devices[device_id].location
        transaction.on_commit(
            lambda e=event_id, d=device_id, c=cluster_id, p=location: alarm_event_made.send_robust(
                sender=AlarmCluster, event_id=e, device_id=d, cluster_id=c, location=p
            ),
            robust=True,
        )
    return len(alarms)


def _alarm_data(alarm: Alarm, device: Device, earlier: list[int] = ()) -> dict:
    return {
        "alarms": [*earlier, alarm.pk],
        "alarm_id": alarm.external_id,
        "device": device.code,
        "type": alarm.alarm_type.code,
        "occurred_at": alarm.occurred_at.isoformat(),
    }


def _note(alarm: Alarm, device: Device, cluster: AlarmCluster) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Alarm again from %(device)s (%(count)d in all): %(type)s") % {
            "device": device.name,
            "count": cluster.count,
            "type": alarm.alarm_type.name,
        }


def _description(alarm: Alarm, device: Device, cluster: AlarmCluster) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = _("%(type)s alarm from %(device)s (%(source)s)") % {
            "type": alarm.alarm_type.name,
            "device": device.name,
            "source": alarm.source.name,
        }
        if cluster.count > 1:
            text += _(": %(count)d alarms since %(first)s") % {
                "count": cluster.count,
                "first": f"{timezone.localtime(cluster.first_seen_at):%H:%M}",
            }
    message = (alarm.payload or {}).get("message")
    details = ", ".join(f"{k}={v}" for k, v in sorted((alarm.payload or {}).get("data", {}).items()))
    return "\n".join(part for part in (text, message, details) if part)[:2000]


def _make_event(alarm: Alarm, device: Device, cluster: AlarmCluster, now: datetime):
    """The cluster's event, through the events app's intake (clocks, escalation, pushes as any
    event), reported by the source's system account; its first timeline row names every alarm of
    the cluster so far."""
    earlier = list(
        Alarm.objects.filter(cluster_id=cluster.pk).exclude(pk=alarm.pk).order_by("pk").values_list("pk", flat=True)
    )
    source = alarm.source
    if source.account_id is None:
        source_save(source=source)
    event, _created = event_report_system(
        reporter=source.account,
        category_id=alarm.alarm_type.category_id,
        description=_description(alarm, device, cluster),
        lat=device.location.y,
        lng=device.location.x,
        client_id=uuid.uuid5(NAMESPACE, f"cluster-{cluster.pk}"),
        grid=device.grid,
        urgent=alarm.alarm_type.urgent,
        source=EventSource.IOT,
        address=device.address,
        data=_alarm_data(alarm, device, earlier),
        now=now,
    )
    return event


def _may_make_event(source: Source) -> bool:
    """Flood control: at most `max_events_per_hour` new events per source; beyond, its alarms are
    kept without events and its department is told (once an hour)."""
    counted = ratelimit.hit("alarm-events", source.pk, ratelimit.Limit(source.max_events_per_hour, 3600))
    if counted.allowed:
        return True
    _tell_owner_once(source.pk, "events", counted.retry_after)
    return False


def _tell_owner_once(source_id: int, why: str, retry_after: int) -> None:
    """Tells the owning department's staff that the source is throttled, once per throttle window."""
    window = int(time.time() // max(retry_after, 60))
    try:
        first = cache.add(f"{CACHE_NAMESPACE}:told:{source_id}:{why}:{window}", 1, timeout=max(retry_after, 60) * 2)
    except Exception:
        log.warning("throttle notice for source %s not sent: the cache did not answer", source_id)
        return
    if not first:
        return
    source = Source.objects.select_related("department").get(pk=source_id)
    staff = User.objects.filter(department_id=source.department_id, is_active=True).values_list("pk", flat=True)
    with translation.override(settings.LANGUAGE_CODE):
        if why == "rate":
            message = _(
                "Alarm source %(name)s sends more than %(count)d requests in %(seconds)d seconds: "
                "it is refused until the rate falls."
            ) % {
                "name": source.name,
                "count": source.rate_limit_count,
                "seconds": source.rate_limit_seconds,
            }
        else:
            message = _(
                "Alarm source %(name)s made more than %(count)d events in an hour: its further alarms are kept "
                "without new events. Check its devices."
            ) % {
                "name": source.name,
                "count": source.max_events_per_hour,
            }
    inbox_send(users=list(staff), kind=TOLD_KIND, message=message)
    log.warning("alarm source %s throttled (%s)", source.code, why)
