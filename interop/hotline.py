"""The 12345 hotline's hand-off (docs/hotline-12345.md): work orders in as events, callbacks out
when their events are accepted, replied and closed, the hotline's satisfaction rating back in.

Callbacks are an outbox: a row per timeline step owed to the hotline (HotlineCallback, unique by the
step), made right after the step's commit (`on_event_changed`) and, whatever happens to that, by the
periodic pass (`hotline_sweep`), which also resends what the hotline has not taken yet with growing
delays. Every attempt is logged (HotlineAttempt). Nothing is dropped while the hotline is down."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import Role, User
from events import services as event_services
from events.choices import Action, Source, State
from events.models import Event, EventAction, EventCategory
from events.selectors import event_duplicates
from grids.models import Center

from . import signing
from .models import CallbackKind, HotlineAttempt, HotlineCallback, HotlineOrder

log = logging.getLogger(__name__)

NAMESPACE = uuid.UUID("0b4a6f3c-2f52-4c1e-9b61-12345a0e0001")
NUMBER_MAX = 40

# Which steps the hotline hears of (the timeline row's action, and for HANDLE only the step that
# finished the handling).
KIND_OF_ACTION = {
    Action.ACCEPT: CallbackKind.ACCEPTED,
    Action.SELF_HANDLE: CallbackKind.ACCEPTED,  # handled on the spot: taken in and handled at once
    Action.REPLY: CallbackKind.REPLIED,
    Action.HANDLE: CallbackKind.REPLIED,
    Action.VERIFY_PASS: CallbackKind.CLOSED,
    Action.REJECT: CallbackKind.CLOSED,
    Action.MERGE: CallbackKind.CLOSED,
}
RATINGS = {"satisfied": True, "basically_satisfied": True, "dissatisfied": False}
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
SEND_TIMEOUT_SECONDS = 5


# --- the service account -------------------------------------------------------------------------------


def hotline_account() -> User:
    """The account the hotline's work orders are reported by: center staff of the district's center,
    so the event is taken in by its grid's community like any other report. Inactive, without a
    password, as every system account: it never signs in, and no one urges or tells it anything."""
    username = settings.HOTLINE_ACCOUNT
    user = User.objects.filter(username=username).select_related("center").first()
    if user is not None:
        return user
    root = Center.objects.filter(parent__isnull=True).order_by("pk").first()
    user = User(username=username, first_name=_("12345 hotline"), role=Role.CENTER_STAFF, center=root, is_active=False)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # made by a concurrent request
        user = User.objects.get(username=username)
    return user


# --- work orders in ------------------------------------------------------------------------------------


def _category(code) -> EventCategory | None:
    if not isinstance(code, str) or not code:
        return None
    return EventCategory.objects.filter(code=code, active=True).first()


def order_receive(*, payload: dict, now: datetime | None = None) -> tuple[HotlineOrder, bool]:
    """Takes in a work order. Returns (order, created): the same number again returns the order taken
    in first (the hotline resends when unsure). Raises ValidationError (400, by field) and then
    writes nothing."""
    if not isinstance(payload, dict):
        raise ValidationError({"body": [_("The body must be a JSON object.")]})
    errors: dict[str, list[str]] = {}
    number = payload.get("order_no")
    if not isinstance(number, str) or not number.strip() or len(number.strip()) > NUMBER_MAX:
        errors["order_no"] = [_("order_no: the work order's number, 1 to %(n)d characters.") % {"n": NUMBER_MAX}]
    else:
        number = number.strip()
        existing = HotlineOrder.objects.filter(number=number).select_related("event").first()
        if existing is not None:
            return existing, False
    category = _category(payload.get("category"))
    if category is None:
        errors["category"] = [_("category: the code of an active event category (GET /api/event-categories/).")]
    content = payload.get("content")
    if not isinstance(content, str) or not content.strip():
        errors["content"] = [_("content: what the citizen reported.")]
    for field in ("lat", "lng"):
        if not isinstance(payload.get(field), (int, float)) or isinstance(payload.get(field), bool):
            errors[field] = [_("%(f)s: a decimal number (WGS 84).") % {"f": field}]
    for field in ("address",):
        if payload.get(field) is not None and not isinstance(payload.get(field), str):
            errors[field] = [_("%(f)s: text.") % {"f": field}]
    if payload.get("urgent") is not None and not isinstance(payload.get("urgent"), bool):
        errors["urgent"] = [_("urgent: true or false.")]
    if payload.get("called_at") is not None and not (
        isinstance(payload["called_at"], str) and parse_datetime(payload["called_at"])
    ):
        errors["called_at"] = [_("called_at: an ISO 8601 date and time with its offset.")]
    if errors:
        raise ValidationError(errors)
    reporter = hotline_account()
    try:
        with transaction.atomic():
            event, _created = event_services.event_report(
                reporter=reporter,
                category_id=category.pk,
                description=content,
                lat=payload["lat"],
                lng=payload["lng"],
                client_id=uuid.uuid5(NAMESPACE, number),
                address=(payload.get("address") or "")[:200],
                urgent=payload.get("urgent"),
                source=Source.HOTLINE,
                now=now,
            )
            order = HotlineOrder.objects.create(number=number, event=event, payload=payload)
    except IntegrityError:  # the same order posted twice at once: the first one stands
        order = HotlineOrder.objects.select_related("event").filter(number=number).first()
        if order is None:
            raise
        return order, False
    return order, True


def order_answer(order: HotlineOrder) -> dict:
    """What the hotline is told about its order: the event's number and state, and the likely
    duplicates the accepting center will see."""
    event = order.event
    duplicates = event_duplicates(event)
    return {
        "order_no": order.number,
        "event_id": event.pk,
        "event_number": event.number,
        "state": event.state,
        "possible_duplicates": [d.number for d in duplicates],
    }


# --- satisfaction in ------------------------------------------------------------------------------------


def satisfaction_receive(*, payload: dict, now: datetime | None = None) -> HotlineOrder:
    """Stores the hotline's return-call rating on the order and on its event (events.services.event_rate:
    it counts in the statistics). Raises ValidationError (400), HotlineOrder.DoesNotExist (404) or
    IllegalTransition (409: the event is not closed)."""
    if not isinstance(payload, dict):
        raise ValidationError({"body": [_("The body must be a JSON object.")]})
    errors = {}
    rating = payload.get("rating")
    if rating not in RATINGS:
        errors["rating"] = [_("rating: one of %(values)s.") % {"values": ", ".join(RATINGS)}]
    comment = payload.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > 2000:
        errors["comment"] = [_("comment: text, at most 2000 characters.")]
    if not isinstance(payload.get("order_no"), str):
        errors["order_no"] = [_("order_no: the work order's number.")]
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        order = HotlineOrder.objects.select_for_update().get(number=payload["order_no"].strip())
        event_services.event_rate(
            event_id=order.event_id, satisfied=RATINGS[rating], channel="hotline", note=comment, now=now
        )
        order.rating, order.rating_comment, order.rated_at = rating, comment, now
        order.save(update_fields=["rating", "rating_comment", "rated_at"])
    return order


# --- callbacks out ---------------------------------------------------------------------------------------


def _callback_kind(row: EventAction) -> str | None:
    kind = KIND_OF_ACTION.get(row.action)
    if row.action == Action.HANDLE and row.to_state != State.HANDLED:
        return None  # one assisting department done: not yet the reply
    return kind


def _payload(order: HotlineOrder, row: EventAction, kind: str) -> dict:
    body = {
        "order_no": order.number,
        "event_number": order.event.number,
        "kind": kind,
        "at": row.created_at.isoformat(),
        "text": row.reason,
    }
    if kind == CallbackKind.CLOSED:
        body["result"] = {Action.REJECT: "rejected", Action.MERGE: "merged"}.get(row.action, "closed")
        if row.action == Action.MERGE:
            merged_into = Event.objects.filter(pk=(row.data or {}).get("merged_into")).first()
            body["merged_into"] = merged_into.number if merged_into else ""
    return body


def callbacks_make(action_ids: list[int], now: datetime | None = None) -> list[int]:
    """The callbacks owed for these timeline steps (those of hotline orders' events, of the kinds the
    hotline hears of), made once each: a step already owed is skipped. Returns the new ones' ids."""
    now = now or timezone.now()
    # One query for a step of an event that came from no work order (nearly all): nothing owed.
    rows = list(
        EventAction.objects.filter(
            pk__in=action_ids, action__in=list(KIND_OF_ACTION), event__hotline_order__isnull=False
        ).select_related("event")
    )
    if not rows:
        return []
    orders = {o.event_id: o for o in HotlineOrder.objects.filter(event_id__in={r.event_id for r in rows})}
    made = []
    for row in rows:
        order, kind = orders.get(row.event_id), _callback_kind(row)
        if order is None or kind is None:
            continue
        order.event = row.event
        callback = HotlineCallback(
            order=order, action=row, kind=kind, payload=_payload(order, row, kind), next_attempt_at=now
        )
        try:
            with transaction.atomic():
                callback.save()
        except IntegrityError:
            continue  # owed already (made by the other path)
        made.append(callback.pk)
    return made


def on_event_changed(sender, event_ids, action, action_id, **kwargs) -> None:
    """After a step's commit: its callback, if the hotline hears of it, queued for delivery now."""
    if action_id is None or action not in KIND_OF_ACTION:
        return
    for callback_id in callbacks_make([action_id]):
        _enqueue(callback_id)


def _enqueue(callback_id: int) -> None:
    from .tasks import hotline_deliver_task

    try:
        hotline_deliver_task.delay(callback_id)
    except Exception:
        log.warning("hotline callback %s not queued; the periodic pass will send it", callback_id)


def backoff(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts: 30 s, 1, 2, 4 … minutes, at most an hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def _post(url: str, body: bytes) -> tuple[int | None, str]:
    headers = {"Content-Type": "application/json; charset=utf-8", **signing.sign(settings.HOTLINE_SECRET, body)}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return None, str(getattr(exc, "reason", exc))[:300]


def callback_deliver(callback_id: int, *, now: datetime | None = None) -> bool:
    """One attempt to deliver a callback, under its row lock (a concurrent attempt skips it). Logged
    whatever happens; delivered on a 2xx, else due again after `backoff`. Returns whether it is
    delivered (now or before)."""
    url = settings.HOTLINE_CALLBACK_URL
    with transaction.atomic():
        callback = (
            HotlineCallback.objects.select_for_update(skip_locked=True)
            .filter(pk=callback_id, delivered_at__isnull=True)
            .first()
        )
        if callback is None:
            return HotlineCallback.objects.filter(pk=callback_id, delivered_at__isnull=False).exists()
        if not url:
            return False  # not configured: kept, and sent once it is
        body = json.dumps({**callback.payload, "callback_id": callback.pk}, ensure_ascii=False).encode()
        started = time.monotonic()
        status, error = _post(url, body)
        at = now or timezone.now()
        ok = status is not None and 200 <= status < 300
        HotlineAttempt.objects.create(
            callback=callback, at=at, status_code=status, error=error, ms=int((time.monotonic() - started) * 1000)
        )
        callback.attempts += 1
        if ok:
            callback.delivered_at, callback.next_attempt_at, callback.last_error = at, None, ""
        else:
            callback.next_attempt_at, callback.last_error = at + backoff(callback.attempts), error
        callback.save(update_fields=["attempts", "delivered_at", "next_attempt_at", "last_error"])
    return ok


SWEEP_BATCH = 50
RECONCILE_DAYS = 30


def hotline_sweep(*, now: datetime | None = None) -> dict:
    """The periodic pass: owes the callbacks any missed step calls for (the last RECONCILE_DAYS of
    hotline orders' steps), then makes one attempt at each callback that is due. Returns counts."""
    now = now or timezone.now()
    owed = (
        EventAction.objects.filter(
            event__hotline_order__isnull=False,
            action__in=list(KIND_OF_ACTION),
            created_at__gte=now - timedelta(days=RECONCILE_DAYS),
        )
        .exclude(pk__in=HotlineCallback.objects.values("action_id"))
        .values_list("pk", flat=True)
    )
    made = callbacks_make(list(owed), now)
    due = list(
        HotlineCallback.objects.filter(delivered_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    delivered = sum(1 for pk in due if callback_deliver(pk, now=now))
    return {"made": len(made), "tried": len(due), "delivered": delivered}
