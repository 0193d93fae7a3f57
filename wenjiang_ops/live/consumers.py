"""The dashboards' WebSocket, `/ws/dashboard/?center=<id>`.

A socket follows one stream (its center's group, or its department's for department staff) and
the user's own group, and receives JSON messages `{type, seq, data}`:
- `hello` (seq: the stream's number now) once connected;
- `event` (seq: the stream's number) an event's item, new or changed; `dispute`, `care` likewise;
- `camera` (seq: the stream's number) how many of the area's cameras changed status, and to what (the
  figures that follow carry the online rates);
- `counts` (seq: the stream's number they are as of) the dashboard's figures, at most one a second;
- `notification` (seq: the user group's number) an inbox message and the unread count;
- `pong` in answer to `{"type": "ping"}`; `error` before the server closes a refused socket.
Pushes arrive already serialised (see `publish`); a consumer only wraps them. Nothing outside the
user's scope can reach the socket: it is only ever in groups the user may follow.

Every other page has `/ws/inbox/`: the user's own group only (any signed-in user), `hello` with the
unread count, then `notification`s, so the "Messages" badge moves wherever the user is (a department
clerk at the ticket queue hears the urge at once).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
import weakref
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext_lazy as _
from redis import asyncio as aioredis

from . import groups
from .layer import push_text

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# The user signed out, was deactivated or moved: a client still signed in reconnects under its new
# place, others have to sign in (accounts.services.user_sockets_close).
CLOSE_SIGNED_OUT = 4001
# A socket that falls this far behind (a frozen tab, a slow link) is told to reload its snapshot
# instead of being sent a backlog: memory stays bounded, and nothing is missed.
OUTBOX_LIMIT = 500
RESYNC = '{"type":"resync","seq":null,"data":{"reason":"behind"}}'

_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def async_redis() -> aioredis.Redis:
    """A Redis client for the running event loop (one per loop, kept)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        # A connection of the pool that Redis dropped (a restart) is retried on a new one; without the
        # retry the first sockets after a restart fail to open (tests/test_faults.py).
        client = aioredis.Redis.from_url(groups.redis_url(), **groups.redis_retry(asyncio=True))
        _async_clients[loop] = client
    return client


class _PushSocket(AsyncWebsocketConsumer):
    """A socket that receives pushes: joined to its groups, with a bounded outbox on the fast path."""

    stream: str | None = None
    joined: tuple[str, ...] = ()
    writer: asyncio.Task | None = None

    async def _signed_in(self):
        """The user, or None after refusing the socket."""
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED, str(_("Please sign in again.")))
            return None
        return user

    async def _join(self, *joined: str) -> None:
        self.joined = joined
        if hasattr(self.channel_layer, "add_outbox"):  # the fast path of live.layer
            self.outbox: collections.deque[str] = collections.deque()
            self.wake = asyncio.Event()
            self.channel_layer.add_outbox(self.channel_name, self.put)
            self.writer = asyncio.ensure_future(self.write())
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)

    async def _refuse(self, code: int, reason: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "seq": None, "data": {"reason": reason}}))
        await self.close(code=code)

    def put(self, text: str) -> None:
        """Queues a push for this socket (called by the layer, once per push)."""
        if len(self.outbox) >= OUTBOX_LIMIT:
            self.outbox.clear()
            text = RESYNC
        self.outbox.append(text)
        self.wake.set()

    async def write(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.outbox:
                await self.send(text_data=self.outbox.popleft())

    async def disconnect(self, code) -> None:
        if self.writer is not None:
            self.channel_layer.discard_outbox(self.channel_name)
            self.writer.cancel()
        if self.stream:
            hub.unwatch(self.stream, self)
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        try:
            message = json.loads(text_data or "")
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == "ping":
            await self.send(text_data='{"type":"pong","seq":null,"data":null}')

    async def force_close(self, message: dict) -> None:
        """The user's credentials or place changed (a `force.close` on the user's group)."""
        await self._refuse(CLOSE_SIGNED_OUT, str(_("Your sign-in or assignment changed: please reconnect.")))

    async def live_push(self, message: dict) -> None:
        """A push from `publish` the stock way (on a layer without outboxes): its data is JSON already."""
        await self.send(text_data=push_text(message))


class DashboardConsumer(_PushSocket):
    async def connect(self) -> None:
        user = await self._signed_in()
        if user is None:
            return
        params = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            center, stream = await database_sync_to_async(_resolve)(user, (params.get("center") or [None])[0])
        except Refused as exc:
            await self._refuse(CLOSE_FORBIDDEN, str(exc))
            return
        self.stream = stream
        # The area's patrols, for the roles that follow them (their own numbered stream).
        patrols = [groups.patrols_group(center.pk)] if await database_sync_to_async(_follows_patrols)(user) else []
        await self._join(stream, groups.user_group(user.pk), *patrols)
        # Joined before reading the number: a push numbered after it reaches this socket.
        seq = await async_redis().get(groups.seq_key(stream))
        await self.send(
            text_data=json.dumps(
                {"type": "hello", "seq": int(seq or 0), "data": {"center_id": center.pk, "stream": stream}}
            )
        )
        hub.watch(stream, self)


class InboxConsumer(_PushSocket):
    """`/ws/inbox/`: the user's own group, for the pages without a dashboard."""

    async def connect(self) -> None:
        user = await self._signed_in()
        if user is None:
            return
        group = groups.user_group(user.pk)
        await self._join(group)
        # Joined before counting: a message written after the count reaches this socket.
        seq = await async_redis().get(groups.seq_key(group))
        unread = await database_sync_to_async(_unread)(user)
        await self.send(text_data=json.dumps({"type": "hello", "seq": int(seq or 0), "data": {"unread": unread}}))


def _follows_patrols(user) -> bool:
    from patrols.selectors import follows_patrols

    return follows_patrols(user)


def _unread(user) -> int:
    from inbox.selectors import unread_count

    return unread_count(user=user)


class Refused(Exception):
    pass


def _resolve(user, center_id: str | None):
    """The center a socket looks at and the stream it follows, or Refused."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from .snapshot import dashboard_center

    try:
        center = dashboard_center(user, center_id)
    except (PermissionDenied, ValidationError, Http404, ValueError) as exc:
        message = getattr(exc, "messages", None)
        raise Refused(" ".join(message) if message else str(exc) or str(_("No dashboard for this account."))) from None
    return center, groups.dashboard_stream(user, center)


class CountsHub:
    """Per process: the dashboards' figures, recomputed at most once a second for each followed
    stream whose number moved (and every minute anyway: time alone makes events overdue), and sent
    to that stream's sockets in this process. One process computes; the others take its result from
    Redis."""

    INTERVAL = 1.0
    REFRESH = 60.0
    # Figures that take long to compute are recomputed less often: at most this share of the time.
    BUSY_SHARE = 0.1

    def __init__(self) -> None:
        self.watchers: dict[str, set[DashboardConsumer]] = {}
        self.done: dict[str, tuple[int, float]] = {}  # stream → (seq, monotonic time) of the last figures
        self.cost: dict[str, float] = {}  # stream → seconds the last figures took
        self.task: asyncio.Task | None = None

    def watch(self, stream: str, consumer: DashboardConsumer) -> None:
        self.watchers.setdefault(stream, set()).add(consumer)
        if self.task is None or self.task.done() or self.task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.ensure_future(self._loop())

    def unwatch(self, stream: str, consumer: DashboardConsumer) -> None:
        members = self.watchers.get(stream)
        if members is not None:
            members.discard(consumer)
            if not members:
                del self.watchers[stream]
                self.done.pop(stream, None)
                self.cost.pop(stream, None)

    async def _loop(self) -> None:
        while self.watchers:
            await asyncio.sleep(self.INTERVAL)
            try:
                await self.tick()
            except Exception:
                log.exception("dashboard figures failed")

    async def tick(self) -> None:
        streams = list(self.watchers)
        if not streams:
            return
        client = async_redis()
        values = await client.mget([groups.seq_key(s) for s in streams])
        now = time.monotonic()
        for stream, value in zip(streams, values, strict=True):
            seq = int(value or 0)
            last = self.done.get(stream)
            if last is None:  # the sockets have the snapshot's figures
                self.done[stream] = (seq, now)
                continue
            if seq == last[0] and now - last[1] < self.REFRESH:
                continue
            if now - last[1] < self.cost.get(stream, 0.0) / self.BUSY_SHARE:
                continue
            self.done[stream] = (seq, now)
            text = await self._figures(client, stream, seq)
            self.cost[stream] = time.monotonic() - now
            for consumer in list(self.watchers.get(stream, ())):
                await consumer.send(text_data=text)

    async def _figures(self, client, stream: str, seq: int) -> str:
        key = f"{groups.layer_prefix()}:counts:{stream}:{seq}"
        cached = await client.get(key)
        if cached is None and not await client.set(f"{key}:lock", 1, nx=True, px=2000):
            for _ in range(20):  # another process is computing them
                await asyncio.sleep(0.05)
                if (cached := await client.get(key)) is not None:
                    break
        if cached is None:
            data = await database_sync_to_async(_stream_counts)(stream)
            cached = json.dumps({"type": "counts", "seq": seq, "data": data}, ensure_ascii=False, default=str)
            await client.set(key, cached, ex=10)
        return cached.decode() if isinstance(cached, bytes) else cached


def _stream_counts(stream: str) -> dict:
    from .snapshot import stream_counts

    return stream_counts(stream)


hub = CountsHub()
