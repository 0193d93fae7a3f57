"""The demo's places and plans (loaded by the session's seed): inside their grids, about as many per
community as 城武社区's walk counts, made once, and a plan to try for the demo accounts."""

import pytest
from django.db import connection

from grids.models import Center, Place
from patrols.demo.places import seed_places
from patrols.demo.plans import seed_plans
from patrols.models import PatrolPlan, PlanSchedule

pytestmark = pytest.mark.django_db


def test_every_place_lies_in_its_grid():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM grids_place p JOIN grids_grid g ON g.id = p.grid_id "
            "WHERE NOT ST_Covers(g.boundary, p.point)"
        )
        assert cursor.fetchone()[0] == 0


def test_about_as_many_places_per_community_as_chengwus_walk():
    chengwu = Center.objects.get(name="城武社区")
    kinds = dict.fromkeys(("street", "compound", "building", "entrance"), 0)
    for kind in Place.objects.filter(grid__center=chengwu).values_list("kind", flat=True):
        kinds[kind] += 1
    assert 1 <= kinds["street"] <= 8 and 3 <= kinds["compound"] <= 12
    assert 25 <= kinds["building"] <= 80 and 60 <= kinds["entrance"] <= 250
    assert not Place.objects.filter(kind="entrance", parent__isnull=True).exists()
    assert not Place.objects.filter(kind="building", parent__isnull=True).exists()


def test_seeding_again_changes_nothing():
    places, plans = Place.objects.count(), PatrolPlan.objects.count()
    seed_places(lambda line: None)
    seed_plans(lambda line: None)
    assert (Place.objects.count(), PatrolPlan.objects.count()) == (places, plans)


@pytest.mark.parametrize("username", ["gridworker", "gw510115001001001", "volunteer"])
def test_the_demo_accounts_have_a_plan_to_try(username):
    plan = PatrolPlan.objects.filter(assignees__username=username, active=True).first()
    assert plan is not None and plan.stops.exists()
    assert PlanSchedule.objects.get(plan=plan).next_due_at in (plan.warn_at, plan.due_at)
