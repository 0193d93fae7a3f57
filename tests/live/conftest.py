"""Live-dashboard tests: pushes published in the caller (LIVE_PUSH=sync) on the real Redis layer."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.layers import channel_layers

from tests.events.conftest import (  # noqa: F401  (fixtures shared with the events tests)
    act,
    category,
    dept,
    drive,
    hangtianlu_point,
    media_in_tmp,
    report,
    round_the_clock,
)


@pytest.fixture
def live(settings, monkeypatch):
    settings.LIVE_PUSH = "sync"
    # database_sync_to_async closes "old" connections around each call, and a test's connection,
    # inside the test's transaction, looks old to it: keep it (the calls run in the test's thread).
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    yield
    channel_layers.backends.clear()


class WebsocketCommunicator(ApplicationCommunicator):
    """An ASGI WebSocket client for tests (Channels' own needs daphne, which the platform does not)."""

    def __init__(self, application, path: str, headers=None) -> None:
        from urllib.parse import unquote, urlparse

        parsed = urlparse(path)
        self.scope = {
            "type": "websocket",
            "path": unquote(parsed.path),
            "query_string": parsed.query.encode(),
            "headers": headers or [],
            "subprotocols": [],
        }
        super().__init__(application, self.scope)

    async def connect(self, timeout: float = 3):
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return response["type"] == "websocket.accept", None

    async def send_to(self, text_data: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text_data})

    async def receive_from(self, timeout: float = 3) -> str:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return response["text"]

    async def disconnect(self, code: int = 1000, timeout: float = 3) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


class Socket:
    """A dashboard socket in a test: `open()`, `next()`, `nothing()`, `close()` (run on one event loop
    kept by the test, so the layer's subscriptions live across calls)."""

    def __init__(self, user, query: str = "", *, inbox: bool = False) -> None:
        from wenjiang_ops.live.consumers import DashboardConsumer, InboxConsumer

        if inbox:  # the pages' socket: the user's own messages only
            self.communicator = WebsocketCommunicator(InboxConsumer.as_asgi(), "/ws/inbox/")
        else:
            self.communicator = WebsocketCommunicator(DashboardConsumer.as_asgi(), f"/ws/dashboard/{query}")
        self.communicator.scope["user"] = user

    async def open(self) -> dict:
        connected, _ = await self.communicator.connect()
        assert connected
        return await self.next()

    async def next(self, timeout: float = 3) -> dict:
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
def run_async():
    """Runs a coroutine to completion from a sync test; database calls made with
    database_sync_to_async come back to the test's thread, inside its transaction."""

    def run(coroutine_function, *args):
        return async_to_sync(coroutine_function)(*args)

    return run


async def settle() -> None:
    """Lets the pub/sub subscriptions reach Redis before something is published."""
    await asyncio.sleep(0.05)
