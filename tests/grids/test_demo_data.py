"""Invariants of the Wenjiang demo data (loaded once per session by conftest)."""

import hashlib

import pytest
from django.db import connection

from accounts.models import Role, User
from grids.choices import GridKind, Level
from grids.demo import names
from grids.demo.seed import DEMO_ACCOUNTS, seed_all
from grids.models import Center, Department, DutyCategory, DutyItem, Grid, Volunteer, VolunteerOrganization

pytestmark = pytest.mark.django_db


def scalar(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_counts_match_wenjiang():
    assert Center.objects.filter(level=Level.DISTRICT).count() == 1
    towns = set(Center.objects.filter(level=Level.TOWN).values_list("name", flat=True))
    assert towns == {
        "柳城街道",
        "公平街道",
        "天府街道",
        "涌泉街道",
        "金马街道",
        "永宁街道",
        "和盛镇",
        "寿安镇",
        "万春镇",
    }
    assert 105 <= Center.objects.filter(level=Level.COMMUNITY).count() <= 115
    assert Grid.objects.filter(kind=GridKind.COMPREHENSIVE).count() == 481
    assert Grid.objects.filter(kind=GridKind.DEDICATED).count() == 107
    assert Volunteer.objects.count() == 11_130
    assert DutyCategory.objects.count() == 8
    assert DutyItem.objects.count() == 75


def test_named_places_sit_in_their_towns():
    expected = {"航天路社区": "柳城街道", "天星村": "寿安镇", "城武社区": "永宁街道", "柳岸社区": "和盛镇"}
    for community, town in expected.items():
        center = Center.objects.select_related("parent").get(name=community)
        assert center.level == Level.COMMUNITY
        assert center.parent.name == town
        assert center.code.startswith(center.parent.code[:9])
    assert Center.objects.get(name="柳岸社区").code == "510115101042"
    organizations = set(VolunteerOrganization.objects.values_list("name", flat=True))
    assert {"万春镇义警协会", "涌泉街道物业联盟", "柳城街道“红柳在线”协会"} <= organizations


def test_division_codes_follow_the_statistical_form():
    for center in Center.objects.filter(level=Level.COMMUNITY).select_related("parent"):
        assert len(center.code) == 12 and center.code.isdigit()
        assert center.code[:9] == center.parent.code[:9]
        number = int(center.code[9:])
        # Villages are numbered from 200, communities below.
        assert (number >= 200) == center.name.endswith("村"), center.name


def test_paths_match_the_tree():
    for center in Center.objects.select_related("parent"):
        expected = (center.parent.path if center.parent else "") + center.code + "/"
        assert center.path == expected
        assert center.depth == expected.count("/") - 1


def test_every_department_and_role_account_exists():
    assert set(Department.objects.values_list("name", flat=True)) == {name for _, name, _ in names.DEPARTMENTS}
    roles = set(User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).values_list("role", flat=True))
    assert roles == set(Role.values)
    # Every comprehensive grid has its own grid worker.
    assert Grid.objects.filter(kind=GridKind.COMPREHENSIVE, workers__isnull=True).count() == 0


def test_boundaries_are_valid_single_polygons():
    assert (
        scalar("select count(*) from grids_grid where not st_isvalid(boundary) or st_numgeometries(boundary) <> 1") == 0
    )
    assert scalar("select count(*) from grids_center where not st_isvalid(boundary)") == 0


def test_no_two_grids_overlap():
    overlapping = scalar(
        """select count(*) from grids_grid a join grids_grid b
           on a.id < b.id and a.boundary && b.boundary and st_relate(a.boundary, b.boundary, 'T********')"""
    )
    assert overlapping == 0


def test_every_grid_lies_inside_its_community():
    outside = scalar(
        """select count(*) from grids_grid g join grids_center c on c.id = g.center_id
           where c.level <> 'community' or not st_coveredby(g.boundary, c.boundary)"""
    )
    assert outside == 0


def test_grids_tile_each_community_and_communities_tile_the_district_without_gaps():
    # Exact topological equality of each community with the union of its grids.
    gaps = scalar(
        """select count(*) from grids_center c where c.level = 'community' and not st_equals(
             c.boundary, (select st_union(g.boundary) from grids_grid g where g.center_id = c.id))"""
    )
    assert gaps == 0
    uneven = scalar(
        """select count(*) from grids_center p where p.level in ('district', 'town') and not st_equals(
             p.boundary, (select st_union(c.boundary) from grids_center c where c.parent_id = p.id))"""
    )
    assert uneven == 0


def test_district_lies_around_wenjiang():
    area_km2 = scalar("select st_area(boundary::geography) / 1e6 from grids_center where level = 'district'")
    assert 250 < area_km2 < 300
    district = Center.objects.get(level=Level.DISTRICT)
    centroid = district.boundary.centroid
    assert 30.66 < centroid.y < 30.72 and 103.80 < centroid.x < 103.87


def _fingerprint() -> str:
    tables = [
        "grids_center",
        "grids_grid",
        "grids_department",
        "grids_volunteer",
        "grids_volunteerorganization",
        "grids_dutyitem",
        "accounts_user",
        "grids_grid_workers",
        "grids_grid_police",
    ]
    parts = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"select md5(string_agg(t::text, '|' order by t::text)) from {table} t")
            parts.append(cursor.fetchone()[0] or "")
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def test_a_second_run_changes_nothing():
    before = _fingerprint()
    seed_all(lambda line: None)
    assert _fingerprint() == before
