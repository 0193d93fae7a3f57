"""The clients of the push benchmark, in a process of their own (bench/push.py starts it).

    push_clients.py ws  K URL [COOKIE]  K dashboard WebSockets on URL (signed in by the Cookie header)
    push_clients.py raw K CHANNEL  K Redis pub/sub subscribers (one connection each) on CHANNEL

Prints "ready" once every client is connected, then records, for each message carrying an event id,
when each client received it (time.time()). A line "report" on stdin makes it print what it has
recorded as one JSON object {id: [receipt times]} and forget it; "quit" ends it.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

RECEIVED: dict[str, list[float]] = {}


def note(event_id) -> None:
    RECEIVED.setdefault(str(event_id), []).append(time.time())


async def websocket_client(url: str, ready: asyncio.Event, connected: list, cookie: str = "") -> None:
    import websockets

    headers = {"Cookie": cookie} if cookie else None
    async with websockets.connect(url, max_size=2**22, ping_interval=None, additional_headers=headers) as socket:
        hello = json.loads(await socket.recv())
        assert hello["type"] == "hello", hello
        connected.append(1)
        ready.set()
        async for text in socket:
            if text.startswith('{"type":"event"'):
                note(json.loads(text)["data"]["id"])


async def redis_client(channel: str, connected: list) -> None:
    from redis import asyncio as aioredis

    client = aioredis.Redis()
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    connected.append(1)
    async for message in pubsub.listen():
        if message["type"] == "message":
            note(json.loads(message["data"])["data"]["id"])


async def main(mode: str, k: int, target: str, cookie: str = "") -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    connected: list = []
    tasks = []
    for start in range(0, k, 50):  # connect in waves, as a hall of screens coming up would
        for _ in range(start, min(k, start + 50)):
            if mode == "ws":
                tasks.append(asyncio.ensure_future(websocket_client(target, asyncio.Event(), connected, cookie)))
            else:
                tasks.append(asyncio.ensure_future(redis_client(target, connected)))
        while len(connected) < min(k, start + 50):
            await asyncio.sleep(0.01)
            for task in tasks:
                if task.done() and task.exception():
                    raise task.exception()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().strip()
        if line == "report":
            print(json.dumps(RECEIVED), flush=True)
            RECEIVED.clear()
        elif line in ("quit", ""):
            break
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], *sys.argv[4:5]))
