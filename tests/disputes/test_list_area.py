"""The list's `center` filter: inside the user's own subtree the center's subtree is the whole area
filter (accounts.scope.Scope.disputes_in); for a role whose rule is not the subtree (the grid
worker: the cases they took in) the rule still applies."""

import pytest

from grids.models import Center

pytestmark = pytest.mark.django_db


def listed(api, username, center):
    response = api.as_user(username).get(f"/api/disputes/?center={center.pk}")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_center_filter_keeps_each_roles_rule(api, take_in):
    mine = take_in("gridworker", intake="grid")
    theirs = take_in("hangtianlu")
    community = Center.objects.get(name="航天路社区")
    town = Center.objects.get(name="柳城街道")
    assert listed(api, "gridworker", community) == {mine.pk}  # their own reports only
    assert listed(api, "liucheng", community) == {mine.pk, theirs.pk}
    assert listed(api, "duty", town) == {mine.pk, theirs.pk}
    assert listed(api, "tiaojie", community) == {mine.pk, theirs.pk}
    other_town = Center.objects.get(name="永宁街道")
    assert listed(api, "duty", other_town) == set()
    response = api.as_user("liucheng").get(f"/api/disputes/?center={other_town.pk}")
    assert response.status_code == 400  # outside the user's area: the filter refuses it
