"""Scoping both ways: what each role may see, and 404 for what it may not."""

import pytest

from accounts.models import Role, User
from accounts.scope import scope_for
from grids.models import Center, Department, Grid

pytestmark = pytest.mark.django_db


def town(name):
    return Center.objects.get(name=name)


def subtree(center):
    return Center.objects.filter(path__startswith=center.path)


@pytest.mark.parametrize("username", ["duty", "leader", "admin"])
def test_district_users_see_everything(demo_user, username):
    scope = scope_for(demo_user(username))
    assert scope.centers().count() == Center.objects.count()
    assert scope.grids().count() == Grid.objects.count() == 588


def test_a_town_user_sees_exactly_the_towns_subtree(demo_user):
    scope = scope_for(demo_user("liucheng"))
    liucheng = town("柳城街道")
    assert set(scope.centers()) == set(subtree(liucheng))
    assert set(scope.grids()) == set(Grid.objects.filter(center__parent=liucheng))
    assert not scope.centers().filter(name="城武社区").exists()
    assert not scope.centers().filter(name="温江区").exists()


def test_a_community_user_sees_only_the_community(demo_user):
    scope = scope_for(demo_user("hangtianlu"))
    assert list(scope.centers().values_list("name", flat=True)) == ["航天路社区"]
    assert set(scope.grids()) == set(Grid.objects.filter(center__name="航天路社区"))


def test_grid_workers_and_volunteers_see_their_community(demo_user):
    for username in ["gridworker", "volunteer"]:
        scope = scope_for(demo_user(username))
        assert list(scope.centers().values_list("name", flat=True)) == ["航天路社区"]


def test_department_staff_see_the_area_their_department_serves(demo_user):
    user = demo_user("police")
    scope = scope_for(user)
    assert scope.department_id == user.department_id
    assert scope.grids().count() == 588
    # A department without a center of its own still sees its department's area.
    bare = User.objects.create(username="bare-police", role=Role.DEPARTMENT_STAFF, department=user.department)
    assert scope_for(bare).centers().count() == Center.objects.count()


def test_users_without_a_center_and_anonymous_users_see_nothing(demo_user):
    lost = User.objects.create(username="lost", role=Role.CENTER_STAFF)
    assert scope_for(lost).centers().count() == 0
    assert scope_for(lost).grids().count() == 0
    assert scope_for(lost).departments().count() == 0
    from django.contrib.auth.models import AnonymousUser

    assert scope_for(AnonymousUser()).grids().count() == 0
    inactive = demo_user("duty")
    inactive.is_active = False
    assert scope_for(inactive).grids().count() == 0


def test_a_community_user_sees_the_departments_serving_it(demo_user):
    assert scope_for(demo_user("hangtianlu")).departments().count() == Department.objects.count()


# --- the API follows the same scope ---------------------------------------------------------


def test_center_list_is_scoped(api):
    response = api.as_user("liucheng").get("/api/centers/", {"page_size": 1000})
    assert response.status_code == 200
    names = {c["name"] for c in response.json()["results"]}
    assert names == set(subtree(town("柳城街道")).values_list("name", flat=True))


def test_grid_list_is_scoped_geojson(api):
    response = api.as_user("hangtianlu").get("/api/grids/", {"page_size": 1000})
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert {f["properties"]["center"]["name"] for f in body["features"]} == {"航天路社区"}
    assert body["count"] == Grid.objects.filter(center__name="航天路社区").count()
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_center_filter_takes_a_whole_subtree(api):
    yongning = town("永宁街道")
    response = api.as_user("duty").get("/api/grids/", {"center": yongning.pk, "page_size": 1000})
    assert response.json()["count"] == Grid.objects.filter(center__parent=yongning).count() > 0


def test_a_center_outside_the_scope_is_not_a_valid_filter(api):
    response = api.as_user("liucheng").get("/api/grids/", {"center": town("永宁街道").pk})
    assert response.status_code == 400
    assert "center" in response.json()


@pytest.mark.parametrize(
    ("username", "visible", "hidden"),
    [
        ("liucheng", "航天路社区", "城武社区"),
        ("hangtianlu", "航天路社区", "和平社区"),
        ("chengwu", "城武社区", "天星村"),
    ],
)
def test_objects_outside_the_scope_answer_404(api, username, visible, hidden):
    client = api.as_user(username)
    for name, expected in [(visible, 200), (hidden, 404)]:
        center = Center.objects.get(name=name)
        grid = center.grids.first()
        assert client.get(f"/api/centers/{center.pk}/").status_code == expected
        assert client.get(f"/api/grids/{grid.pk}/").status_code == expected


def test_the_api_requires_authentication(client):
    for url in ["/api/me/", "/api/centers/", "/api/grids/", "/api/departments/", "/api/grids/locate/?lat=1&lng=1"]:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["detail"]


def test_centers_geojson_draws_the_users_area(api):
    response = api.as_user("liucheng").get("/api/centers/geojson/", {"level": "town"})
    body = response.json()
    assert [f["properties"]["name"] for f in body["features"]] == ["柳城街道"]
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_list_queries_do_not_grow_with_the_page(api, django_assert_max_num_queries):
    client = api.as_user("duty")
    for size in (5, 500):
        with django_assert_max_num_queries(3):
            assert client.get("/api/grids/", {"page_size": size}).status_code == 200
        with django_assert_max_num_queries(3):
            assert client.get("/api/centers/", {"page_size": size}).status_code == 200


# --- visibility is granted role by role --------------------------------------------------------


def test_every_role_is_listed_in_both_visibility_tables():
    """A role added to Role sees nothing until someone decides, here, what it may see."""
    from accounts.scope import AREA_BY_ROLE, EVENTS_BY_ROLE

    assert set(EVENTS_BY_ROLE) == set(Role.values)
    assert set(AREA_BY_ROLE) == set(Role.values)
    from accounts.scope import FORCE_BY_ROLE

    assert set(FORCE_BY_ROLE) == set(Role.values)
    from accounts.scope import ALARMS_BY_ROLE

    assert set(ALARMS_BY_ROLE) == set(Role.values)


def test_a_role_not_listed_sees_nothing():
    from accounts.scope import Scope

    district = Center.objects.get(parent__isnull=True)
    scope = Scope(center_path=district.path, user_id=1, role="auditor")
    assert scope.events().query.is_empty()
    assert scope.centers().count() == scope.grids().count() == scope.departments().count() == 0


def test_the_mediator_sees_the_area_but_no_event(demo_user):
    scope = scope_for(demo_user("mediator"))
    assert set(scope.centers()) == set(subtree(town("柳城街道")))  # disputes are placed in the area
    assert scope.events().query.is_empty()
