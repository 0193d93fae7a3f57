"""Need-to-know (accounts.scope.CARE_BY_ROLE): who sees which persons; every view is logged."""

import pytest

from accounts.models import Role, User
from accounts.scope import CARE_BY_ROLE, scope_for
from care.models import PersonView
from grids.models import Center, Department, Grid

from .factories import make_person

pytestmark = pytest.mark.django_db


def seen(user):
    return set(scope_for(user).special_people().values_list("pk", flat=True))


@pytest.fixture
def people(user, gridworker):
    other_worker = user("gw510115001001002")
    grid_out = Grid.objects.filter(center__parent__name="永宁街道", kind="comprehensive").order_by("code").first()
    return {
        "mine": make_person(workers=[gridworker], department="justice"),
        "colleague": make_person(workers=[other_worker], department="police", grid="510115001001002"),
        "team": make_person(
            workers=[other_worker], department="justice", team=[{"user": user("police").pk, "role": "police"}]
        ),
        "out": make_person(
            workers=[User.objects.get(username=f"gw{grid_out.code}")], department="police", grid=grid_out
        ),
    }


def test_every_role_is_in_the_table():
    assert set(CARE_BY_ROLE) == set(Role.values)


def test_a_grid_worker_sees_only_their_own_persons(people, gridworker):
    assert seen(gridworker) == {people["mine"].pk}


def test_volunteers_and_mediators_see_none(people, user):
    assert seen(user("volunteer")) == set()
    assert seen(user("mediator")) == set()


def test_department_staff_see_their_departments_persons_of_its_area_and_their_teams(people, user):
    police = user("police")  # the district police bureau: the whole district
    assert seen(police) == {people["colleague"].pk, people["team"].pk, people["out"].pk}
    assert seen(user("chengguan")) == set()


def test_a_department_of_another_area_sees_none(people):
    yongning = Center.objects.get(name="永宁街道")
    station = Department.objects.create(code="police-yongning", name="永宁派出所", short_name="永宁所", center=yongning)
    officer = User.objects.create(username="yn-police", role=Role.DEPARTMENT_STAFF, department=station, center=yongning)
    liucheng_station = Department.objects.create(
        code="police-liucheng", name="柳城派出所", short_name="柳城所", center=Center.objects.get(name="柳城街道")
    )
    other = User.objects.create(username="lc-police", role=Role.DEPARTMENT_STAFF, department=liucheng_station)
    assert seen(officer) == set()  # the persons of its area belong to the district bureau
    assert seen(other) == set()


def test_center_roles_see_persons_only_when_authorised(people, user, authorise):
    for name in ("duty", "leader", "liucheng", "hangtianlu"):
        assert seen(user(name)) == set(), name
    assert seen(authorise(user("hangtianlu"))) == {people["mine"].pk, people["colleague"].pk, people["team"].pk}
    assert seen(authorise(user("liucheng"))) == {people["mine"].pk, people["colleague"].pk, people["team"].pk}
    assert seen(authorise(user("duty"))) == {p.pk for p in people.values()}
    assert seen(authorise(user("yongning"))) == {people["out"].pk}


def test_authorised_through_a_group(people, user):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="care readers")
    group.permissions.add(Permission.objects.get(codename="view_special_people"))
    hangtianlu = user("hangtianlu")
    hangtianlu.groups.add(group)
    assert people["mine"].pk in seen(hangtianlu)


def test_admins_see_all(people, user):
    assert {p.pk for p in people.values()} <= seen(user("admin"))


def test_every_view_of_a_record_is_logged_and_lists_are_masked(people, gridworker, api, client):
    person = people["mine"]
    listing = api.as_user("gridworker").get("/api/special-people/").json()
    assert [row["name"] for row in listing["results"]] == ["张*明"]
    assert PersonView.objects.count() == 0  # a list names nobody
    assert api.get(f"/api/special-people/{person.pk}/?reason=走访前核对").json()["name"] == "张小明"
    client.force_login(gridworker)
    page = client.get(f"/care/{person.pk}/")
    assert page.status_code == 200 and "张小明" in page.content.decode()
    log = list(PersonView.objects.order_by("id").values_list("person_id", "user__username", "via", "reason"))
    assert log == [(person.pk, "gridworker", "api", "走访前核对"), (person.pk, "gridworker", "page", "")]
    mine = client.get("/care/mine/").content.decode()
    assert "张*明" in mine and "张小明" not in mine  # the worker's own list is masked too
    assert PersonView.objects.count() == 2
    export = client.get("/care/export.xlsx")
    assert export.status_code == 200
    assert PersonView.objects.filter(via="export").count() == 1
    # The log is the administrators'.
    assert api.as_user("gridworker").get("/api/care-view-log/").status_code == 403
    rows = api.as_user("admin").get(f"/api/care-view-log/?person={person.pk}").json()["results"]
    assert len(rows) == 3


def test_a_person_outside_the_scope_is_404(people, api, client, user):
    out = people["out"]
    assert api.as_user("gridworker").get(f"/api/special-people/{out.pk}/").status_code == 404
    assert api.as_user("volunteer").get(f"/api/special-people/{people['mine'].pk}/").status_code == 404
    client.force_login(user("hangtianlu"))
    assert client.get(f"/care/{people['mine'].pk}/").status_code == 404
    assert PersonView.objects.count() == 0
