"""Who hears about what, and the numbered streams the pushes travel on.

Groups (Channels groups on the Redis pub/sub channel layer):
- `center.<id>`: every event whose first center is that center or below it — an event in a community
  is pushed to the community, its town and the district (the same rule as `Scope.events`);
- `department.<id>`: the tickets of a department (every event it was ever assigned);
- `user.<id>`: one person's inbox;
- `patrols.<id>`: the patrols of a center's subtree as they move (the live patrols layer).

Each group is a stream with its own sequence number: the publisher increments the number and
publishes the message in one Lua script, so on every socket the numbers of a group arrive in order
and a gap means a lost message (the page then reloads its snapshot). The script writes the message
in the layer's own wire format (msgpack, published on the group's pub/sub channel), which is what
`RedisPubSubChannelLayer.group_send` does; tests/live checks the two agree.
"""

from __future__ import annotations

from django.conf import settings

from grids.models import Center

# KEYS[1]: the group's sequence counter; KEYS[2]: the group's pub/sub channel;
# ARGV[1]: the message, msgpack-encoded, whose "seq" is set here.
PUBLISH_SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
local message = cmsgpack.unpack(ARGV[1])
message['seq'] = seq
redis.call('PUBLISH', KEYS[2], cmsgpack.pack(message))
return seq
"""


def layer_prefix() -> str:
    return settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi")


# redis-py's clients made from a URL do not retry a command on a connection that Redis dropped, so the
# first commands after a Redis restart fail, one per pooled connection (a socket that cannot open, a
# push lost): retry once, on a new connection. Once only, and not on a timeout: a Redis that is really
# gone must not hold a request up longer (a refused connection fails at once).
def redis_retry(*, asyncio: bool = False) -> dict:
    """The keyword arguments of a Redis client that retries a dropped connection once."""
    import redis.asyncio.retry
    import redis.retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError

    retry_class = redis.asyncio.retry.Retry if asyncio else redis.retry.Retry
    return {
        "retry": retry_class(ExponentialBackoff(cap=0.1, base=0.02), 1),
        "retry_on_error": [ConnectionError],
    }


def redis_url() -> str:
    """The channel layer's Redis: the numbering, the push queue and the figures' cache live there too."""
    return settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]


def group_channel(group: str) -> str:
    """The Redis pub/sub channel of a Channels group (as `RedisPubSubLoopLayer` names it)."""
    return f"{layer_prefix()}__group__{group}"


def seq_key(group: str) -> str:
    return f"{layer_prefix()}:seq:{group}"


def center_group(center_id: int) -> str:
    return f"center.{center_id}"


def patrols_group(center_id: int) -> str:
    """The patrols under way in a center's subtree (their own stream: a track's pushes do not move a
    dashboard's numbers or its figures)."""
    return f"patrols.{center_id}"


def department_group(department_id: int) -> str:
    return f"department.{department_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def follows_department(user) -> bool:
    """Whether a user's dashboard is their department's tickets (department staff) rather than a
    center's area."""
    from accounts.models import Role

    return user.role == Role.DEPARTMENT_STAFF and not user.is_superuser and user.department_id is not None


def dashboard_stream(user, center: Center) -> str:
    """The group a user's dashboard follows: department staff their department's tickets, everyone
    else the center they look at."""
    return department_group(user.department_id) if follows_department(user) else center_group(center.pk)


def current_seq(group: str, client=None) -> int:
    """The number of the last message of `group` (0 before the first). A snapshot reads it before
    its queries: every push numbered up to it is in the snapshot."""
    from .publish import redis_client

    value = (client or redis_client()).get(seq_key(group))
    return int(value) if value else 0


class CenterTree:
    """Each center's ancestors, from an in-memory copy of the (small) center table, refreshed when
    a center it does not know turns up."""

    def __init__(self) -> None:
        self._parents: dict[int, int | None] = {}

    def refresh(self) -> None:
        self._parents = dict(Center.objects.values_list("id", "parent_id"))

    def chain(self, center_id: int | None) -> list[int]:
        """The center and its ancestors, nearest first."""
        if center_id is None:
            return []
        if center_id not in self._parents:
            self.refresh()
        chain: list[int] = []
        current = center_id
        while current is not None and current in self._parents and len(chain) < 32:
            chain.append(current)
            current = self._parents[current]
        return chain
