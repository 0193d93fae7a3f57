"""The list's `center` filter, read once by the view (wenjiang_ops.api.ListedCenterMixin): inside the
user's area the center's subtree is the whole area filter (accounts.scope.Scope.events_in); a role
whose rule is not the subtree keeps its rule; a center outside the area is refused."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from accounts.scope import center_subtree, scope_for, subtree_ids
from accounts.services import token_issue
from grids.models import Center

pytestmark = pytest.mark.django_db


def listed(api, username, center, **params):
    response = api.as_user(username).get("/api/events/", {"center": center.pk, **params})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_center_filter_keeps_each_roles_rule(api, report, drive):
    mine = report("gridworker")
    theirs = report("hangtianlu")
    ticket = drive("dispatched")
    community = Center.objects.get(name="航天路社区")
    town = Center.objects.get(name="柳城街道")
    assert {mine.pk, theirs.pk, ticket.pk} <= listed(api, "duty", town)
    assert {mine.pk, theirs.pk, ticket.pk} <= listed(api, "hangtianlu", community)
    assert listed(api, "volunteer", community) == set()  # a volunteer sees their own reports only
    police = listed(api, "police", Center.objects.get(name="温江区"))
    assert ticket.pk in police and mine.pk not in police  # department staff: their tickets
    assert listed(api, "duty", Center.objects.get(name="永宁街道")) & {mine.pk, theirs.pk} == set()


def test_a_center_outside_the_area_is_refused(api):
    other_town = Center.objects.get(name="永宁街道")
    for value in (other_town.pk, "abc", 2**70, -3):
        response = api.as_user("hangtianlu").get("/api/events/", {"center": value})
        assert response.status_code == 400, (value, response.content)
        assert "center" in response.json()


def test_listed_center_reads_the_subtree_with_the_center():
    town = Center.objects.get(name="柳城街道")
    scope = scope_for(User.objects.get(username="duty"))
    with CaptureQueriesContext(connection) as ctx:
        center = scope.listed_center(str(town.pk))
        ids = center_subtree(center)
    assert len(ctx.captured_queries) == 1
    assert sorted(ids) == sorted(subtree_ids(town.path)) and town.pk in ids
    assert "boundary" in center.get_deferred_fields()
    outside = scope_for(User.objects.get(username="hangtianlu"))
    assert outside.listed_center(town.pk) is None  # the town is above a community's staff
    assert scope.listed_center("12x") is None and scope.listed_center(None) is None


def test_a_towns_list_by_token_costs_four_queries(report):
    for _ in range(3):
        report()
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token_issue(user=User.objects.get(username='duty'))}")
    town = Center.objects.get(name="柳城街道")
    query = {"center": town.pk, "state": "reported", "page_size": 2}
    assert client.get("/api/events/", query).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/api/events/", query).json()
    # the token with the user and their center; the listed center with its subtree; count; page
    assert len(ctx.captured_queries) == 4, [q["sql"][:80] for q in ctx.captured_queries]
    assert page["count"] >= 3 and len(page["results"]) == 2


def test_the_token_brings_the_users_center_without_its_outline():
    from accounts.authentication import FastTokenAuthentication

    duty = User.objects.select_related("center").get(username="duty")
    user, _ = FastTokenAuthentication().authenticate_credentials(token_issue(user=duty))
    with CaptureQueriesContext(connection) as ctx:
        assert user.center.path == duty.center.path
        assert scope_for(user).center_path == duty.center.path
    assert ctx.captured_queries == []
    assert "boundary" in user.center.get_deferred_fields()


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_moments_are_written_as_drfs_datetime_field_writes_them(zone, settings):
    from datetime import UTC, datetime, timedelta

    from django.utils import timezone
    from rest_framework import serializers

    from events.api.serializers import _when

    settings.TIME_ZONE = zone
    with timezone.override(zone):
        field = serializers.DateTimeField()
        start = datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
        for hours in (0, 7.5, 16, 24 * 180 + 3, -24 * 400):
            moment = start + timedelta(hours=hours)
            assert _when(moment) == field.to_representation(moment)
        assert _when(start.replace(microsecond=0)) == field.to_representation(start.replace(microsecond=0))
        assert _when(None) is None
