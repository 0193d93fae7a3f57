"""The demo's special populations: realistic, consistent with their visits, idempotent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from care import clocks as care_clocks
from care import demo
from care.choices import Action, PersonType, Status
from care.models import CareAction, CareSchedule, SpecialPerson, Visit
from grids.services import id_number_check_digit

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(monkeypatch):
    monkeypatch.setattr(
        demo,
        "COUNTS",
        {PersonType.CORRECTION: 25, PersonType.RELEASED: 90, PersonType.DRUG: 30, PersonType.MENTAL: 180},
    )
    end = timezone.now()
    demo.seed_care(lambda line: None, end=end)
    return end


def test_the_demo_is_made_once(seeded):
    counts = (SpecialPerson.objects.count(), Visit.objects.count(), CareAction.objects.count())
    assert counts[0] == 325 and counts[1] > 2000
    demo.seed_care(lambda line: None)
    assert (SpecialPerson.objects.count(), Visit.objects.count(), CareAction.objects.count()) == counts


def test_the_state_follows_the_visits(seeded):
    end = seeded
    lost = SpecialPerson.objects.filter(status=Status.LOST)
    assert 1 <= lost.count() <= demo.LOST_COUNT + 1
    for person in lost:
        last_two = list(Visit.objects.filter(person=person).order_by("-visited_at")[:2])
        assert [v.found for v in last_two] == [False, False]
        assert CareAction.objects.filter(person=person, action=Action.LOST_CONTACT).count() == 1
    for person in SpecialPerson.objects.filter(status=Status.IN_CARE).select_related("center")[:200]:
        last = Visit.objects.filter(person=person).order_by("-visited_at").first()
        if last is None:
            continue
        assert person.last_visit_at == last.visited_at
        rule = care_clocks.rule_for(person.person_type, person.risk)
        assert person.due_at == last.visited_at + timedelta(days=rule.every_days)
    overdue = SpecialPerson.objects.filter(status=Status.IN_CARE, due_at__lt=end).count()
    assert 0 < overdue < 40
    # The sweep made the steps that came due: nothing is pending before the end.
    assert not CareSchedule.objects.filter(next_due_at__lte=end).exists()


def test_id_numbers_are_valid_and_obviously_fake():
    for index in (0, 7, 999, 1000, 3249):
        number = demo.fake_id_number(index)
        assert number[6:9] == "190" and number[17] == id_number_check_digit(number[:17])
    assert len({demo.fake_id_number(i) for i in range(3250)}) == 3250


def test_the_demo_grid_worker_has_persons_to_try(seeded, user):
    from care.selectors import my_people

    assert len(my_people(user("gridworker"))) == demo.LIVE_COUNT
    assert CareAction.objects.filter(action=Action.RISK).exists()  # one risk raised through the services
