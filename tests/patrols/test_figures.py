"""The board's patrol figures (one SQL query) agree with the one definition of coverage
(patrols.selectors.coverage) over random walks: some places, some patrols cancelled, some
check-ins before the period."""

import random
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.scope import subtree_ids
from grids.models import Center
from patrols import selectors, services
from patrols.models import PatrolPlan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_figures_equal_the_selectors_coverage(seed):
    rng = random.Random(seed)
    town = Center.objects.get(name="柳城街道")
    ids = subtree_ids(town.path)
    plans = list(PatrolPlan.objects.filter(center_id__in=ids, active=True).order_by("pk"))
    now = timezone.now()
    for plan in rng.sample(plans, 6):
        walker = plan.assignees.order_by("username").first()
        stops = [s.place for s in plan.stops.select_related("place").order_by("order")]
        for _ in range(rng.randint(1, 3)):
            patrol, _ = services.patrol_start(user=walker, plan_id=plan.pk, client_id=uuid.uuid4(), now=now)
            for place in rng.sample(stops, rng.randint(0, len(stops))):
                at = rng.choice([now, plan.period_start - timedelta(hours=1)])  # some before the period
                services.patrol_check_in(user=walker, patrol_id=patrol.pk, qr_token=place.qr_token, now=at)
            end = rng.choice([services.patrol_end, services.patrol_end, services.patrol_cancel])
            end(user=walker, patrol_id=patrol.pk, now=now)
    figures = selectors.patrol_figures(ids, now=now)
    by_plan = selectors.plan_current_coverage(plans)
    due = sum(f["places_due"] for f in by_plan.values())
    checked = sum(min(f["places_checked"], f["places_due"]) for f in by_plan.values())
    assert figures["plans"] == len(plans)
    assert figures["coverage"] == pytest.approx(checked / due)
    assert checked > 0
