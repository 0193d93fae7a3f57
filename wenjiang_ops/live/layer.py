"""The channel layer: channels-redis's pub/sub layer, with a fast path for the dashboards' pushes.

Stock, a group message reaching a process is handed to each member socket separately: one queue
entry, one msgpack decode, one dispatch (a new asyncio task per message) and one JSON wrapping per
socket. With a thousand dashboards on one stream that fell seconds behind at ten events a second
(research/performance.md). Here a `live.push` group message is decoded once, its text built once,
and the same string is put in the outbox of each member socket that registered one
(`add_outbox`); each socket's own writer sends it. Everything else — other message types, sockets
without an outbox — takes the stock way, so the layer stays a drop-in channels-redis layer.
"""

from __future__ import annotations

import asyncio

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close, decode_hosts


def push_text(message: dict) -> str:
    """The text a socket receives for a `live.push` layer message (its data is JSON already)."""
    return f'{{"type":"{message["kind"]}","seq":{message["seq"]},"data":{message["data"]}}}'


class _Shard(RedisSingleShardConnection):
    def _receive_message(self, message):
        if message is not None:
            name = message["channel"]
            if isinstance(name, bytes):
                name = name.decode()
            members = self.channel_layer.groups.get(name)
            outboxes = self.channel_layer.outboxes
            if members and outboxes:
                data = message["data"]
                decoded = self.channel_layer.channel_layer.deserialize(data)
                if decoded.get("type") == "live.push":
                    text = push_text(decoded)
                    for channel_name in members:
                        outbox = outboxes.get(channel_name)
                        if outbox is not None:
                            outbox(text)
                        elif channel_name in self.channel_layer.channels:
                            self.channel_layer.channels[channel_name].put_nowait(data)
                    return
        super()._receive_message(message)


class LiveLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, hosts=None, *args, **kwargs) -> None:
        super().__init__(hosts, *args, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]
        self.outboxes: dict[str, object] = {}

    def add_outbox(self, channel: str, put) -> None:
        """`put(text)` receives this channel's pushes, already serialised."""
        self.outboxes[channel] = put

    def discard_outbox(self, channel: str) -> None:
        self.outboxes.pop(channel, None)


class LiveChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            layer = self._layers[loop]
        except KeyError:
            layer = LiveLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer
