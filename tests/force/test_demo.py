"""The force demo step: the demo volunteer's reports through the events services, the ledger
rebuilt from them, recognitions; a second run changes nothing."""

import pytest

from accounts.models import User
from events.models import Event
from force import demo
from force.models import PointEntry, Recognition, VolunteerInvitation
from grids.models import Volunteer

pytestmark = pytest.mark.django_db


def test_the_demo_reference_step_ran_with_the_seed():
    assert VolunteerInvitation.objects.filter(inviter__username="gridworker").count() == 2
    assert Volunteer.objects.exclude(category="other").count() > Volunteer.objects.count() * 0.9
    linked = User.objects.filter(username__startswith="vol", volunteer__isnull=False).count()
    assert linked == User.objects.filter(username__startswith="vol", role="volunteer").count()


def test_the_year_step_gives_the_demo_volunteer_reports_and_points_once():
    demo.seed_force_year(lambda line: None)
    volunteer = User.objects.get(username="volunteer")
    states = sorted(Event.objects.filter(reporter=volunteer).values_list("state", flat=True))
    assert states == ["accepted"] * 6 + ["merged", "rejected"]
    # Six accepted reports (+5 each); the one merged as a duplicate is worth nothing by the time the
    # ledger is rebuilt; the best volunteer of the community is commended (+10).
    kinds = sorted(PointEntry.objects.filter(user=volunteer).values_list("kind", "points"))
    assert kinds == [("recognition", 10)] + [("report", 5)] * 6
    snapshot = (Event.objects.count(), PointEntry.objects.count(), Recognition.objects.count())
    demo.seed_force_year(lambda line: None)
    demo.seed_force_reference(lambda line: None)
    assert (Event.objects.count(), PointEntry.objects.count(), Recognition.objects.count()) == snapshot
