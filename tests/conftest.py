"""Test set-up: the real PostgreSQL/PostGIS and Redis; the Wenjiang demo data loaded once per session.

Every test runs inside a transaction that is rolled back, so the seeded data is shared
and each test sees it unchanged.
"""

import os
import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import User

TEST_CHANNEL_PREFIX = os.environ.get("TEST_CHANNEL_PREFIX", "wj-test")
PLATFORM_CHANNEL_PREFIX = os.environ.get("CHANNEL_PREFIX", "wj-asgi")  # what a `make run` here would use


@pytest.fixture(scope="session", autouse=True)
def live_pushes_apart():
    """Tests push nothing unless they ask (tests/live does), and never onto a running platform's
    channels: their own prefix on the shared Redis (TEST_CHANNEL_PREFIX keeps parallel checkouts apart)."""
    from channels.layers import channel_layers
    from django.conf import settings

    settings.LIVE_PUSH = "off"
    settings.CHANNEL_LAYERS = {
        "default": {
            **settings.CHANNEL_LAYERS["default"],
            "CONFIG": {**settings.CHANNEL_LAYERS["default"]["CONFIG"], "prefix": TEST_CHANNEL_PREFIX},
        }
    }
    channel_layers.backends.clear()
    # And the processes tests start with this environment (Celery workers, servers, commands) push on
    # the tests' channels too, never on the platform's queue (tests/live/test_publisher_process.py).
    os.environ["CHANNEL_PREFIX"] = TEST_CHANNEL_PREFIX
    # Their cache (rate-limit counters, sign-in throttles) is this run's own: Redis outlives a run, and
    # counters carried over from earlier runs would refuse their reports (429).
    os.environ["CACHE_KEY_PREFIX"] = f"wj-test-run-{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def fresh_rate_limits(monkeypatch):
    """Each test counts rate limits afresh (the counters live in Redis, which no rollback undoes)."""
    import uuid

    from wenjiang_ops import ratelimit

    monkeypatch.setattr(ratelimit, "NAMESPACE", f"rl-test-{uuid.uuid4().hex}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import transaction

    from wenjiang_ops.demo import seed_demo

    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo(lambda line: None, events=False)  # tests make the events they need


@pytest.fixture
def announced():
    """The inbox rows announced for delivery (`notification_created`) while the test runs."""
    from inbox.notify import notification_created

    rows = []

    def receiver(sender, notifications, **kwargs):
        rows.extend(notifications)

    notification_created.connect(receiver)
    yield rows
    notification_created.disconnect(receiver)


@pytest.fixture
def demo_user(db):
    """Returns the demo account with the given username."""

    def get(username: str) -> User:
        return User.objects.select_related("center", "department").get(username=username)

    return get


@pytest.fixture
def api(db):
    """An API client; `api.as_user(username)` signs it in as that demo account."""
    client = APIClient()

    def as_user(username: str) -> APIClient:
        client.force_authenticate(User.objects.get(username=username))
        return client

    client.as_user = as_user
    return client
