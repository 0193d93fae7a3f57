"""Events are visible role by role (accounts.scope.EVENTS_BY_ROLE): the mediator sees none."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_mediator_reads_no_event_of_the_town(api, report):
    event = report()  # 航天路社区, in the mediator's town (柳城街道)
    client = api.as_user("mediator")
    assert client.get("/api/events/").json()["count"] == 0
    assert client.get(f"/api/events/{event.pk}/").status_code == 404
    assert client.get(f"/api/events/{event.pk}/timeline/").status_code == 404
    stats = client.get("/api/stats/summary/").json()
    assert stats["totals"]["reported"] == 0
    # The town's staff, for comparison, see it.
    assert api.as_user("liucheng").get(f"/api/events/{event.pk}/").status_code == 200
