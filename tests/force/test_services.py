"""The force services on the real database: invitations and sign-up, the points rules through
the events' and patrols' signals, the rebuild, recognitions, the immutable ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from events import services as events
from force import services
from force.models import PointEntry, PointRule, Recognition
from grids.models import Volunteer, VolunteerOrganization
from inbox.models import Notification
from patrols.signals import patrol_ended

from .factories import patrol, report_in, valid_id

pytestmark = pytest.mark.django_db


def join(code, **overrides):
    kwargs = dict(
        code=code,
        real_name="姚建国",
        phone="13912345678",
        id_number=valid_id("19550607"),
        category="retired_cadre",
        password="Patrol#2026x",
        organization_id=None,
    )
    kwargs.update(overrides)
    return services.volunteer_join(**kwargs)


def town_org(grid):
    return VolunteerOrganization.objects.filter(center=grid.center.parent).order_by("pk").first()


# --- invitations and sign-up --------------------------------------------------------------------


def test_a_grid_worker_invites_to_their_grid_and_a_volunteer_joins_with_the_id_masked(user, grid1):
    invitation = services.invitation_create(inviter=user("gridworker"), grid_id=grid1.pk, days=7, uses=2)
    assert invitation.center == grid1.center and len(invitation.code) >= 20
    organization = town_org(grid1)
    id_number = valid_id("19550607")
    volunteer = join(invitation.code, id_number=id_number, organization_id=organization.pk)
    account = volunteer.user
    assert account.role == Role.VOLUNTEER and account.center == grid1.center and account.username == "13912345678"
    assert account.check_password("Patrol#2026x") and account.get_full_name() == "姚建国"
    assert volunteer.grid == grid1 and volunteer.organization == organization and volunteer.category == "retired_cadre"
    assert volunteer.id_number_masked == id_number[:6] + "*" * 11 + id_number[-1]
    assert id_number not in {volunteer.id_number_masked, volunteer.id_number_hash}
    invitation.refresh_from_db()
    assert (invitation.uses_left, invitation.used) == (1, 1)


def test_a_second_sign_up_with_the_same_id_number_is_refused_and_writes_nothing(user, grid1):
    invitation = services.invitation_create(inviter=user("gridworker"), grid_id=grid1.pk, uses=5)
    organization = town_org(grid1)
    id_number = valid_id()
    join(invitation.code, id_number=id_number, organization_id=organization.pk)
    users, volunteers = User.objects.count(), Volunteer.objects.count()
    with pytest.raises(ValidationError) as refused:
        join(invitation.code, id_number=id_number.lower(), phone="13900000001", organization_id=organization.pk)
    assert "id_number" in refused.value.message_dict
    assert (User.objects.count(), Volunteer.objects.count()) == (users, volunteers)
    invitation.refresh_from_db()
    assert invitation.uses_left == 4


def test_sign_up_input_is_checked_field_by_field(user, grid1):
    invitation = services.invitation_create(inviter=user("gridworker"), grid_id=grid1.pk)
    bad_id = valid_id()[:-1] + ("0" if valid_id()[-1] != "0" else "1")
    with pytest.raises(ValidationError) as refused:
        join(invitation.code, real_name="", phone="12", id_number=bad_id, category="astronaut", password="1")
    assert set(refused.value.message_dict) >= {"real_name", "phone", "id_number", "category", "password"}
    with pytest.raises(ValidationError) as no_org:
        join(invitation.code)  # a grid's invitation: the volunteer chooses an organization of the area
    assert set(no_org.value.message_dict) == {"organization"}
    with pytest.raises(ValidationError):
        join(invitation.code, organization_id=VolunteerOrganization.objects.exclude(center=grid1.center.parent)[0].pk)


@pytest.mark.parametrize("problem", ["expired", "used", "revoked"])
def test_an_invitation_expired_used_up_or_revoked_signs_nobody_up(user, grid1, problem):
    invitation = services.invitation_create(inviter=user("gridworker"), grid_id=grid1.pk, uses=1)
    org = town_org(grid1).pk
    if problem == "expired":
        with pytest.raises(services.InvitationUnusable) as refused:
            join(invitation.code, organization_id=org, now=timezone.now() + timedelta(days=15))
    elif problem == "used":
        join(invitation.code, organization_id=org)
        with pytest.raises(services.InvitationUnusable) as refused:
            join(invitation.code, organization_id=org, phone="13900000002", id_number=valid_id())
    else:
        services.invitation_revoke(invitation_id=invitation.pk, actor=user("gridworker"))
        with pytest.raises(services.InvitationUnusable) as refused:
            join(invitation.code, organization_id=org)
    assert refused.value.problem == problem
    with pytest.raises(services.InvitationNotFound):
        join("no-such-code")


def test_who_may_invite(user, grid1, grid2, far_grid):
    with pytest.raises(PermissionDenied):
        services.invitation_create(inviter=user("gridworker"), grid_id=grid2.pk)  # not their grid
    with pytest.raises(PermissionDenied):
        services.invitation_create(inviter=user("volunteer"), grid_id=grid1.pk)
    with pytest.raises(PermissionDenied):
        services.invitation_create(inviter=user("hangtianlu"), grid_id=far_grid.pk)
    org = town_org(grid1)
    by_org = services.invitation_create(inviter=user("liucheng"), organization_id=org.pk, uses=50)
    assert by_org.center == org.center
    with pytest.raises(ValidationError):
        services.invitation_create(inviter=user("liucheng"))
    with pytest.raises(ValidationError):
        services.invitation_create(inviter=user("liucheng"), grid_id=grid1.pk, days=0)
    with pytest.raises(services.NotVisible):
        services.invitation_revoke(invitation_id=by_org.pk, actor=user("gridworker"))


# --- points --------------------------------------------------------------------------------------


def act(event, action, actor, **params):
    return events.event_transition(event_id=event.pk, action=action, actor=actor, **params)


def ledger(user_obj):
    return sorted(PointEntry.objects.filter(user=user_obj).values_list("kind", "points"))


def test_an_accepted_report_earns_the_rule_once(user, grid1, django_capture_on_commit_callbacks):
    volunteer = user("volunteer")
    with django_capture_on_commit_callbacks(execute=True):
        event = report_in(grid1, volunteer)
    assert ledger(volunteer) == []  # reported only
    with django_capture_on_commit_callbacks(execute=True):
        act(event, "accept", user("hangtianlu"))
    assert ledger(volunteer) == [("report", 5)]
    services.points_for_events(event_ids=[event.pk])  # a repeated signal, a rebuild
    services.points_rebuild()
    assert ledger(volunteer) == [("report", 5)]
    entry = PointEntry.objects.get(user=volunteer)
    assert (entry.source_type, entry.source_id) == ("event", event.pk)


def test_a_rejected_report_earns_nothing_and_a_merged_one_is_reversed(user, grid1, django_capture_on_commit_callbacks):
    volunteer, staff = user("volunteer"), user("hangtianlu")
    with django_capture_on_commit_callbacks(execute=True):
        rejected = report_in(grid1, volunteer)
        act(rejected, "reject", staff, reason="不属于受理范围")
        survivor = report_in(grid1, volunteer)
        act(survivor, "accept", staff)
        duplicate = report_in(grid1, volunteer)
        act(duplicate, "accept", staff)
    assert ledger(volunteer) == [("report", 5), ("report", 5)]
    with django_capture_on_commit_callbacks(execute=True):
        act(duplicate, "merge", staff, reason="重复报告", merge_into=survivor.pk)
    assert ledger(volunteer) == [("report", 5), ("report", 5), ("report_reversal", -5)]
    services.points_rebuild()
    assert sum(p for _, p in ledger(volunteer)) == 5


def test_a_rule_changed_later_reverses_what_was_awarded(user, grid1, django_capture_on_commit_callbacks):
    volunteer, staff = user("volunteer"), user("hangtianlu")
    with django_capture_on_commit_callbacks(execute=True):
        survivor, duplicate = report_in(grid1, volunteer), report_in(grid1, volunteer)
        act(survivor, "accept", staff)
        act(duplicate, "accept", staff)
    PointRule.objects.filter(kind="report").update(points=8)
    with django_capture_on_commit_callbacks(execute=True):
        act(duplicate, "merge", staff, reason="重复", merge_into=survivor.pk)
    assert ("report_reversal", -5) in ledger(volunteer)


def test_a_grid_workers_report_earns_no_volunteer_points(user, grid1, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = report_in(grid1, user("gridworker"))
        act(event, "accept", user("hangtianlu"))
    assert not PointEntry.objects.exists()


def test_patrol_points_follow_the_patrol_ended_signal_once(user, grid1):
    volunteer = user("volunteer")
    walked = patrol(volunteer, grid1, check_ins=2)
    empty = patrol(volunteer, grid1, check_ins=0, started_at=timezone.now() - timedelta(days=1))
    for _ in range(2):  # a repeated signal
        patrol_ended.send(sender=None, patrol_id=walked.pk, user_id=volunteer.pk)
        patrol_ended.send(sender=None, patrol_id=empty.pk, user_id=volunteer.pk)
    assert ledger(volunteer) == [("patrol", 3)]
    worker = user("gridworker")
    theirs = patrol(worker, grid1, check_ins=5)
    patrol_ended.send(sender=None, patrol_id=theirs.pk, user_id=worker.pk)
    assert ledger(worker) == []


def test_the_rebuild_writes_what_the_signals_would_have_and_nothing_twice(user, grid1):
    volunteer, staff = user("volunteer"), user("hangtianlu")
    # Made without the signals' effects (no on-commit callbacks run): as the bulk demo does.
    accepted = report_in(grid1, volunteer)
    act(accepted, "accept", staff)
    reported = report_in(grid1, volunteer)
    patrol(volunteer, grid1, check_ins=1)
    patrol(volunteer, grid1, state="cancelled", check_ins=4, started_at=timezone.now() - timedelta(days=2))
    assert services.points_rebuild() == {"reports": 1, "patrols": 1, "recognitions": 0}
    assert services.points_rebuild() == {"reports": 0, "patrols": 0, "recognitions": 0}
    assert ledger(volunteer) == [("patrol", 3), ("report", 5)]
    assert not PointEntry.objects.filter(source_id=reported.pk, source_type="event").exists()


def test_recognition_with_bonus_points_by_the_center_of_the_area(user, grid1, far_grid):
    volunteer = user("volunteer")
    recognition = services.recognition_create(
        actor=user("liucheng"), user_id=volunteer.pk, reason="及时报告火灾隐患", bonus_points=10
    )
    assert recognition.center.name == "柳城街道"
    assert ledger(volunteer) == [("recognition", 10)]
    message = Notification.objects.get(user=volunteer, kind="recognition")
    assert "及时报告火灾隐患" in message.message and message.subject_id == recognition.pk
    assert services.points_rebuild()["recognitions"] == 0
    with pytest.raises(services.NotVisible):
        services.recognition_create(actor=user("yongning"), user_id=volunteer.pk, reason="x")
    with pytest.raises(PermissionDenied):  # sees the volunteers of their grid, does not commend
        services.recognition_create(actor=user("gridworker"), user_id=volunteer.pk, reason="x")
    with pytest.raises(ValidationError):
        services.recognition_create(actor=user("hangtianlu"), user_id=volunteer.pk, reason="", bonus_points=500)
    assert Recognition.objects.count() == 1


def test_the_ledger_is_immutable_in_the_database(user):
    entry = PointEntry.objects.create(
        user=user("volunteer"), kind="recognition", points=1, source_type="recognition", source_id=1, at=timezone.now()
    )
    for statement in (lambda: PointEntry.objects.filter(pk=entry.pk).update(points=100), entry.delete):
        with pytest.raises(IntegrityError), transaction.atomic():
            statement()
    with pytest.raises(IntegrityError), transaction.atomic():  # one award per kind and source
        PointEntry.objects.create(
            user=user("volunteer"), kind="recognition", points=1, source_type="recognition", source_id=1, at=entry.at
        )


def test_a_new_volunteer_from_an_organization_invitation_belongs_to_its_center(user, grid1):
    org = town_org(grid1)
    invitation = services.invitation_create(inviter=user("liucheng"), organization_id=org.pk)
    volunteer = join(invitation.code, phone="13700000000", id_number=valid_id(), real_name="王红")
    assert volunteer.grid is None and volunteer.organization == org and volunteer.user.center == org.center


def test_a_volunteer_s_patrol_through_the_patrols_services_earns_points(user, django_capture_on_commit_callbacks):
    from grids.models import Place
    from patrols import services as patrols

    volunteer = user("volunteer")
    place = Place.objects.filter(grid__center=volunteer.center, active=True).order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        walked, _ = patrols.patrol_start(user=volunteer)
        patrols.patrol_check_in(user=volunteer, patrol_id=walked.pk, qr_token=place.qr_token)
        patrols.patrol_end(user=volunteer, patrol_id=walked.pk)
        empty, _ = patrols.patrol_start(user=volunteer)
        patrols.patrol_end(user=volunteer, patrol_id=empty.pk)  # no check-in: no points
    assert ledger(volunteer) == [("patrol", 3)]
    assert PointEntry.objects.get(user=volunteer).source_id == walked.pk
