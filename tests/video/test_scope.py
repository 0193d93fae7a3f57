"""Who sees which cameras (accounts.scope.VIDEO_BY_ROLE, Scope.cameras): every role listed on
purpose; a center its subtree; departments and grid workers with video.watch_cameras; a household
its own; the resident role sees nothing else of the platform."""

import pytest

from accounts.models import Role
from accounts.scope import (
    AREA_BY_ROLE,
    CARE_BY_ROLE,
    DISPUTES_BY_ROLE,
    EVENTS_BY_ROLE,
    FORCE_BY_ROLE,
    NOTHING,
    PATROLS_BY_ROLE,
    VIDEO_BY_ROLE,
    scope_for,
)

pytestmark = pytest.mark.django_db


def test_every_role_is_in_the_video_table():
    assert set(VIDEO_BY_ROLE) == set(Role.values)


def test_a_resident_sees_nothing_but_their_cameras():
    for table in (EVENTS_BY_ROLE, DISPUTES_BY_ROLE, CARE_BY_ROLE, PATROLS_BY_ROLE, FORCE_BY_ROLE, AREA_BY_ROLE):
        assert table[Role.RESIDENT] == NOTHING


def visible(user, cameras):
    return set(scope_for(user).cameras().filter(pk__in=[c.pk for c in cameras]).values_list("pk", flat=True))


def test_centers_see_their_subtree(user, camera, yongning):
    inside, outside = camera(), camera(yongning)
    both = {inside.pk, outside.pk}
    assert visible(user("duty"), [inside, outside]) == both
    assert visible(user("admin"), [inside, outside]) == both
    assert visible(user("liucheng"), [inside, outside]) == {inside.pk}
    assert visible(user("hangtianlu"), [inside, outside]) == {inside.pk}
    assert visible(user("yongning"), [inside, outside]) == {outside.pk}


def test_departments_and_grid_workers_need_the_permission(user, camera, yongning, grant_watch):
    inside, outside = camera(), camera(yongning)
    for username, expected in (("gridworker", {inside.pk}), ("police", {inside.pk, outside.pk})):
        assert visible(user(username), [inside, outside]) == set()
        grant_watch(user(username))
        assert visible(user(username), [inside, outside]) == expected


def test_volunteers_and_mediators_see_no_camera_even_with_the_permission(user, camera, grant_watch):
    cam = camera()
    for username in ("volunteer", "mediator", "tiaojie"):
        grant_watch(user(username))
        assert visible(user(username), [cam]) == set()


def test_a_household_sees_its_own_cameras_only(camera, resident):
    owner = resident()
    own, other = camera(network="huiyan", owner=owner), camera()
    assert visible(owner, [own, other]) == {own.pk}
    assert scope_for(owner).events().count() == 0
    assert scope_for(owner).centers().count() == 0
