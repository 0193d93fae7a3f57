"""The care services on the real database: records, visits, lost contact and its urgent alarm,
the status actions, permissions, immutability."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from care import services
from care.choices import Action, Status
from care.domain.rules import IllegalTransition
from care.models import CareAction, CareSchedule, SpecialPerson, Visit
from care.signals import care_alarm
from inbox.models import Notification
from inbox.notify import SMS_KINDS

from .factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def alarms():
    got = []

    def receiver(sender, person_id, kind, **kwargs):
        got.append((person_id, kind))

    care_alarm.connect(receiver)
    yield got
    care_alarm.disconnect(receiver)


def test_a_new_record_is_in_care_with_its_first_visit_due_by_its_rule(gridworker):
    now = timezone.now()
    person = make_person(workers=[gridworker], risk="high", now=now)
    assert person.status == Status.IN_CARE
    assert person.center.name == "航天路社区"
    assert person.id_number_masked.startswith("510115") and "*" in person.id_number_masked
    assert len(person.id_number_hash) == 64
    assert person.due_at == now + timedelta(days=7)  # correction, high risk: weekly
    assert CareSchedule.objects.get(person=person).next_due_at == person.warn_at
    assert list(CareAction.objects.filter(person=person).values_list("action", flat=True)) == [Action.CREATE]


def test_bad_input_is_refused_field_by_field():
    with pytest.raises(ValidationError) as caught:
        services.person_create(
            actor=services.User.objects.get(username="admin"),
            data={"person_type": "x", "name": "", "id_number": "510115190001010010", "lat": 95, "lng": 0},
        )
    assert {"person_type", "name", "id_number", "lat", "department"} <= set(caught.value.message_dict)


def test_the_same_person_twice_under_one_type_is_refused(gridworker):
    person = make_person()
    from tests.care.factories import fake_id_number  # noqa: F401

    point = person.point
    data = {
        "person_type": "correction",
        "name": "张小明",
        "lat": point.y,
        "lng": point.x,
        "department": "justice",
    }
    # The same ID number: the hash is found.
    from grids.services import id_number_hash

    admin = services.User.objects.get(username="admin")
    first17 = "51011519000101999"
    from grids.services import id_number_check_digit

    number = first17 + id_number_check_digit(first17)
    services.person_create(actor=admin, data={**data, "id_number": number})
    with pytest.raises(ValidationError) as caught:
        services.person_create(actor=admin, data={**data, "id_number": number})
    assert "id_number" in caught.value.message_dict
    assert SpecialPerson.objects.filter(id_number_hash=id_number_hash(number)).count() == 1


def test_a_visit_starts_the_next_cycle_and_is_idempotent_by_client_id(gridworker):
    start = timezone.now() - timedelta(days=20)
    person = make_person(workers=[gridworker], now=start)
    client_id = uuid.uuid4()
    visit, created = services.visit_record(
        person_id=person.pk, actor=gridworker, method="in_person", client_id=client_id
    )
    again, created_again = services.visit_record(
        person_id=person.pk, actor=gridworker, method="in_person", client_id=client_id
    )
    assert created and not created_again and again.pk == visit.pk
    assert Visit.objects.filter(person=person).count() == 1
    person.refresh_from_db()
    assert person.last_visit_at == visit.visited_at
    assert person.due_at == visit.visited_at + timedelta(days=30)
    assert person.clock_cycle == 2 and person.clock_marks == 0


def test_two_visits_not_finding_the_person_raise_the_urgent_alarm(
    gridworker, user, announced, alarms, django_capture_on_commit_callbacks
):
    person = make_person(workers=[gridworker])
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_record(person_id=person.pk, actor=gridworker, method="in_person", found=False)
    person.refresh_from_db()
    assert person.status == Status.IN_CARE and not alarms
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_record(person_id=person.pk, actor=gridworker, method="phone", found=False)
    person.refresh_from_db()
    assert person.status == Status.LOST and person.lost_at is not None
    assert person.due_at is None and not CareSchedule.objects.filter(person=person).exists()
    messages = Notification.objects.filter(subject_id=person.pk, kind="care_lost_contact")
    told = set(messages.values_list("user__username", flat=True))
    # The police (the district bureau's staff, the grid's community police), the center, the worker.
    assert {"police", "ds-police", "hangtianlu", "gridworker"} <= told
    assert "care_lost_contact" in SMS_KINDS
    assert "张*明" in messages.first().message and "张小明" not in messages.first().message  # masked
    assert alarms == [(person.pk, "lost_contact")]
    assert {n.kind for n in announced} == {"care_lost_contact"}


def test_found_again_by_a_visit_puts_the_person_back_in_care(gridworker, alarms):
    person = make_person(workers=[gridworker])
    services.person_action(person_id=person.pk, actor=gridworker, action="lost_contact", reason="电话关机，家中无人")
    person.refresh_from_db()
    assert person.status == Status.LOST
    visit, _ = services.visit_record(person_id=person.pk, actor=gridworker, method="with_police", found=True)
    person.refresh_from_db()
    assert person.status == Status.IN_CARE and person.lost_at is None
    assert person.due_at == visit.visited_at + timedelta(days=30)
    actions = list(CareAction.objects.filter(person=person).values_list("action", flat=True))
    assert actions == [Action.CREATE, Action.LOST_CONTACT, Action.VISIT, Action.FOUND]


def test_risk_changes_are_decisions_of_the_department_not_the_grid_worker(gridworker, user):
    person = make_person(workers=[gridworker], department="police")
    with pytest.raises(PermissionDenied):
        services.person_action(person_id=person.pk, actor=gridworker, action="risk", risk="high", reason="x")
    with pytest.raises(ValidationError) as caught:
        services.person_action(person_id=person.pk, actor=user("police"), action="risk", risk="high")
    assert "reason" in caught.value.message_dict
    services.person_action(person_id=person.pk, actor=user("police"), action="risk", risk="high", reason="近期情绪不稳")
    person.refresh_from_db()
    assert person.risk == "high"
    assert person.due_at == person.created_at + timedelta(days=7) or person.due_at is not None
    row = CareAction.objects.get(person=person, action=Action.RISK)
    assert row.data == {"from": "low", "to": "high"} and row.actor.username == "police"


def test_an_ended_record_takes_no_visit(gridworker, user):
    person = make_person(workers=[gridworker], department="police")
    with pytest.raises(ValidationError):
        services.person_action(person_id=person.pk, actor=user("police"), action="end")
    services.person_action(person_id=person.pk, actor=user("police"), action="end", end_reason="term_ended")
    with pytest.raises(IllegalTransition):
        services.visit_record(person_id=person.pk, actor=gridworker, method="phone")


def test_others_do_not_find_the_person(user, gridworker):
    person = make_person(workers=[gridworker])
    for name in ("volunteer", "mediator", "duty", "hangtianlu", "chengguan", "gw510115001001002"):
        with pytest.raises(services.PersonNotFound):
            services.visit_record(person_id=person.pk, actor=user(name), method="phone")


def test_visits_and_the_timeline_are_immutable(gridworker):
    person = make_person(workers=[gridworker])
    visit, _ = services.visit_record(person_id=person.pk, actor=gridworker, method="phone", findings="正常")
    for statement in (
        lambda: Visit.objects.filter(pk=visit.pk).update(findings="改"),
        lambda: Visit.objects.filter(pk=visit.pk).delete(),
        lambda: CareAction.objects.filter(person=person).update(reason="改"),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
    corrected, _ = services.visit_record(
        person_id=person.pk, actor=gridworker, method="phone", findings="情况正常，已核实", corrects_id=visit.pk
    )
    assert corrected.corrects_id == visit.pk
    assert Visit.objects.get(pk=visit.pk).findings == "正常"


def test_a_visit_in_the_future_is_refused(gridworker):
    person = make_person(workers=[gridworker])
    with pytest.raises(ValidationError) as caught:
        services.visit_record(
            person_id=person.pk, actor=gridworker, method="phone", visited_at=timezone.now() + timedelta(days=1)
        )
    assert "visited_at" in caught.value.message_dict


def test_a_photo_goes_through_the_platforms_photo_checks(gridworker):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from events.attachments import NotAnImage

    person = make_person(workers=[gridworker])
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, "PNG")
    photo = SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")
    visit, _ = services.visit_record(person_id=person.pk, actor=gridworker, method="in_person", photos=[photo])
    assert visit.photos.count() == 1 and visit.photos.get().image.name.endswith(".jpg")
    with pytest.raises(NotAnImage):
        services.visit_record(
            person_id=person.pk,
            actor=gridworker,
            method="in_person",
            photos=[SimpleUploadedFile("x.png", b"not an image", content_type="image/png")],
        )
    assert Visit.objects.filter(person=person).count() == 1  # nothing half-written


def test_assign_replaces_workers_and_team(user, gridworker):
    person = make_person(workers=[gridworker], department="police")
    other = user("gw510115001001002")
    services.person_action(
        person_id=person.pk,
        actor=user("police"),
        action="assign",
        workers=[other.pk],
        team=[
            {"user": user("police").pk, "role": "police"},
            {"name": "张母", "role": "family", "phone": "13800000000"},
        ],
    )
    assert list(person.workers.all()) == [other]
    assert person.team.count() == 2
    with pytest.raises(ValidationError):
        services.person_action(person_id=person.pk, actor=user("police"), action="assign", workers=[user("duty").pk])


class RecordingSMS:
    sent: list = []

    def send(self, phone, text):
        RecordingSMS.sent.append((phone, text))


def test_lost_contact_is_sent_by_sms(gridworker, user, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.care.test_services.RecordingSMS"
    RecordingSMS.sent = []
    police = user("police")
    police.phone = "13900001111"
    police.save(update_fields=["phone"])
    person = make_person(workers=[gridworker])
    with django_capture_on_commit_callbacks(execute=True):
        services.person_action(person_id=person.pk, actor=gridworker, action="lost_contact", reason="多日联系不上")
    texts = dict(RecordingSMS.sent)
    assert "13900001111" in texts and "失联" in texts["13900001111"] and "张*明" in texts["13900001111"]


def test_a_visit_recorded_late_does_not_change_the_state(gridworker):
    from datetime import timedelta as td

    person = make_person(workers=[gridworker], now=timezone.now() - td(days=40))
    latest, _ = services.visit_record(person_id=person.pk, actor=gridworker, method="phone")
    person.refresh_from_db()
    cycle, due = person.clock_cycle, person.due_at
    services.visit_record(
        person_id=person.pk, actor=gridworker, method="in_person", found=False, visited_at=timezone.now() - td(days=10)
    )
    person.refresh_from_db()
    assert (person.clock_cycle, person.due_at, person.last_visit_at) == (cycle, due, latest.visited_at)
    assert person.not_found_streak == 0
