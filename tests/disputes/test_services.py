"""The disputes' services on the real database: intake, the workflow, sessions and records, the
agreement, performance, follow-up visits, judicial confirmation and the alarm."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from disputes import services
from disputes.choices import Action, Light, Phase, State
from disputes.domain.states import IllegalTransition
from disputes.models import Dispute, DisputeAction, FollowUp, Obligation, Party, RepeatLink
from inbox.models import Notification

from .conftest import ID_APPLICANT, parties

pytestmark = pytest.mark.django_db


def test_intake_numbers_the_case_and_starts_the_acceptance_clock(take_in):
    now = timezone.now()
    dispute = take_in(now=now)
    year = timezone.localtime(now).year
    assert dispute.number == f"({year}){dispute.committee.number_prefix}字第 {dispute.serial:05d} 号"
    assert dispute.committee.center.name == "航天路社区" and dispute.center == dispute.origin_center
    assert dispute.state == State.RECEIVED and dispute.phase == Phase.ACCEPT and dispute.level == "community"
    assert dispute.schedule.next_due_at == dispute.warn_at
    second = take_in()
    assert second.serial == dispute.serial + 1  # one committee, one sequence per year
    [row] = DisputeAction.objects.filter(dispute=dispute)
    assert row.action == Action.REPORT and row.data["parties"] == 2


def test_intake_is_idempotent_by_client_id(take_in, user):
    client_id = str(uuid.uuid4())
    first = take_in(client_id=client_id)
    again = take_in(client_id=client_id)
    assert again.pk == first.pk and Dispute.objects.filter(client_id=client_id).count() == 1
    with pytest.raises(ValidationError) as exc:
        take_in("chengwu", client_id=client_id)
    assert "client_id" in exc.value.message_dict


def test_id_numbers_are_kept_masked_and_hashed_only(take_in):
    dispute = take_in()
    applicant = dispute.parties.get(role="applicant")
    assert applicant.id_number_masked == "510115***********3"
    assert applicant.id_number_hash and ID_APPLICANT not in applicant.id_number_hash
    stored = [str(v) for v in Party.objects.filter(pk=applicant.pk).values().get().values()]
    assert not any(ID_APPLICANT in v for v in stored)


def test_bad_input_names_each_field(take_in):
    bad = parties()
    bad[0]["id_number"] = "510115198001010014"  # wrong check digit
    with pytest.raises(ValidationError) as exc:
        take_in(title="", lat="91", people=0, amount="-1", intake="fax", parties=bad, signals=["ghosts"])
    errors = exc.value.message_dict
    assert {"title", "location", "people", "amount", "intake", "parties[0]", "signals"} <= set(errors)
    assert Dispute.objects.count() == 0


def test_a_dispute_has_two_sides(take_in):
    with pytest.raises(ValidationError) as exc:
        take_in(parties=[parties()[0]])
    assert "parties" in exc.value.message_dict


def test_who_takes_disputes_in(take_in):
    with pytest.raises(PermissionDenied):
        take_in("volunteer")
    with pytest.raises(ValidationError) as exc:
        take_in("gridworker", intake="walk_in")
    assert "intake" in exc.value.message_dict
    assert take_in("gridworker", intake="grid").reporter.username == "gridworker"


def test_repeat_disputes_are_linked_at_intake(take_in):
    first = take_in()
    second = take_in(address="别处1号")  # same applicant (ID hash and phone)
    third = take_in(parties=[{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}])  # same address
    assert set(RepeatLink.objects.filter(dispute=second).values_list("earlier_id", "reason")) == {
        (first.pk, "id_number")
    }
    assert set(RepeatLink.objects.filter(dispute=third).values_list("earlier_id", flat=True)) == {first.pk}


def test_an_agent_names_whom_they_act_for(take_in):
    rows = [*parties(), {"role": "agent", "name": "张律师", "represents": 0}]
    dispute = take_in(parties=rows)
    agent = dispute.parties.get(role="agent")
    assert agent.represents.name == "李秀英"
    bad = [*parties(), {"role": "agent", "name": "张律师", "represents": 7}]
    with pytest.raises(ValidationError):
        take_in(parties=bad)


def test_accept_needs_consent_and_names_mediators(take_in, act, user):
    dispute = take_in()
    mediator = user("tiaojie")
    with pytest.raises(ValidationError) as exc:
        act(dispute, "accept", "hangtianlu", mediators=[mediator.pk])
    assert "consent" in exc.value.message_dict
    with pytest.raises(ValidationError):  # a town's mediator is not of this community's area
        act(dispute, "accept", "hangtianlu", mediators=[user("mediator").pk], consent=True)
    dispute = act(dispute, "accept", "hangtianlu", mediators=[mediator.pk], consent=True)
    assert dispute.state == State.MEDIATING and dispute.phase == Phase.MEDIATE
    assert dispute.mediation_due - dispute.accepted_at == timedelta(days=30)
    assert set(dispute.parties.values_list("consents", flat=True)) == {True}
    assert Notification.objects.filter(user=mediator, kind="dispute_assigned", subject_id=dispute.pk).exists()


def test_a_mediator_at_the_center_accepts_for_themselves(take_in, act, user):
    dispute = act(take_in(), "accept", "tiaojie", consent=True)
    assert list(dispute.mediator_rows.values_list("user__username", "lead")) == [("tiaojie", True)]


def test_the_state_table_and_the_scope_are_checked(take_in, act):
    dispute = take_in()
    with pytest.raises(IllegalTransition):
        act(dispute, "agree", "hangtianlu", form="oral", terms="x")
    with pytest.raises(services.DisputeNotFound):  # another community's staff: not found
        act(dispute, "accept", "chengwu", consent=True)
    with pytest.raises(PermissionDenied):  # a higher center sees it but does not triage
        act(dispute, "accept", "liucheng", consent=True)
    with pytest.raises(ValidationError):
        act(dispute, "refer", "hangtianlu", channel="police", referred_to="柳城派出所", bogus=1)


def mediating(take_in, act, user):
    return act(take_in(), "accept", "hangtianlu", mediators=[user("tiaojie").pk], consent=True)


def test_written_agreement_with_obligations_and_a_follow_up(take_in, act, user):
    dispute = mediating(take_in, act, user)
    today = timezone.localdate()
    respondent = dispute.parties.get(role="respondent")
    with pytest.raises(ValidationError) as exc:
        act(dispute, "agree", "tiaojie", form="written", terms="赔偿3000元")
    assert "performance_due" in exc.value.message_dict
    dispute = act(
        dispute,
        "agree",
        "tiaojie",
        form="written",
        terms="被申请人于十日内赔偿申请人维修费3000元。",
        responsibility="被申请人承担主要责任。",
        performance_method="现金一次性支付",
        performance_place="航天路社区调解室",
        performance_due=str(today + timedelta(days=10)),
        obligations=[
            {"party": respondent.pk, "description": "支付维修费3000元", "due_date": str(today + timedelta(days=10))}
        ],
    )
    assert dispute.state == State.AGREED and dispute.agreed_at and dispute.concluded_at and not dispute.phase
    assert (
        not hasattr(Dispute.objects.get(pk=dispute.pk), "schedule")
        or not Dispute.objects.filter(pk=dispute.pk, schedule__isnull=False).exists()
    )
    [visit] = FollowUp.objects.filter(dispute=dispute)
    assert visit.due_date == today + timedelta(days=10 + services.FOLLOW_UP_DAYS)
    [obligation] = Obligation.objects.filter(dispute=dispute)
    with pytest.raises(ValidationError):  # not performed yet
        act(dispute, "close", "tiaojie")
    services.obligation_perform(dispute_id=dispute.pk, actor=user("tiaojie"), obligation_id=obligation.pk)
    assert act(dispute, "close", "tiaojie").state == State.CLOSED


def test_a_refusal_ends_peoples_mediation_and_says_where_to_go(take_in, act, user):
    dispute = mediating(take_in, act, user)
    respondent = dispute.parties.get(role="respondent")
    dispute = act(dispute, "refuse", "tiaojie", party=respondent.pk, channel="litigation", reason="被申请人拒绝调解")
    assert dispute.state == State.FAILED and dispute.channel == "litigation" and dispute.concluded_at
    assert Party.objects.get(pk=respondent.pk).consents is False


def test_referral_records_the_hand_off(take_in, act):
    dispute = act(take_in(), "refer", "hangtianlu", channel="police", referred_to="柳城派出所", reason="涉嫌治安案件")
    assert (dispute.state, dispute.channel, dispute.referred_to) == (State.REFERRED, "police", "柳城派出所")
    with pytest.raises(ValidationError):
        act(take_in(), "refer", "hangtianlu", channel="peoples", referred_to="x", reason="y")


def test_escalation_moves_the_case_up_and_restarts_the_clock(take_in, act, user):
    dispute = mediating(take_in, act, user)
    before = dispute.due_at
    later = timezone.now() + timedelta(days=3)
    dispute = services.dispute_transition(
        dispute_id=dispute.pk, action="escalate", actor=user("hangtianlu"), now=later, reason="涉及多户，社区难以化解"
    )
    assert dispute.center.name == "柳城街道" and dispute.level == "town" and dispute.escalations == 1
    assert dispute.due_at == later + timedelta(days=30) and dispute.due_at > before
    assert Notification.objects.filter(user__username="liucheng", kind="dispute_escalated").exists()
    # The community still sees it (first center), the town now holds it.
    assert (
        services.dispute_transition(
            dispute_id=dispute.pk, action="urge", actor=user("duty"), reason="请加快化解"
        ).center.name
        == "柳城街道"
    )


def test_suspension_stops_the_clock_and_resuming_moves_it(take_in, act, user):
    dispute = mediating(take_in, act, user)
    due = dispute.due_at
    start = timezone.now()
    services.dispute_transition(
        dispute_id=dispute.pk, action="suspend", actor=user("tiaojie"), now=start, reason="等待鉴定"
    )
    assert not Dispute.objects.filter(pk=dispute.pk, schedule__isnull=False).exists()
    dispute = services.dispute_transition(
        dispute_id=dispute.pk, action="resume", actor=user("tiaojie"), now=start + timedelta(days=5)
    )
    assert dispute.state == State.MEDIATING and dispute.due_at == due + timedelta(days=5)
    assert dispute.schedule.next_due_at == dispute.warn_at


def test_extension_needs_consent_and_moves_the_deadline(take_in, act, user):
    dispute = mediating(take_in, act, user)
    due = dispute.mediation_due
    with pytest.raises(ValidationError):
        act(dispute, "extend", "tiaojie", days=10, reason="双方同意延长")
    dispute = act(dispute, "extend", "tiaojie", days=10, consent=True, reason="双方同意延长")
    assert dispute.mediation_due == due + timedelta(days=10) and dispute.extension_days == 10
    assert dispute.light == Light.GREEN


def test_sessions_are_planned_then_recorded(take_in, act, user):
    dispute = mediating(take_in, act, user)
    mediator = user("tiaojie")
    soon = timezone.now() + timedelta(days=1)
    planned = services.session_record(
        dispute_id=dispute.pk, actor=mediator, starts_at=soon, place="社区调解室", held=False
    )
    with pytest.raises(ValidationError):  # held sessions are recorded after they happen, with notes
        services.session_record(
            dispute_id=dispute.pk, actor=mediator, starts_at=soon, place="社区调解室", session_id=planned.pk
        )
    held = services.session_record(
        dispute_id=dispute.pk,
        actor=mediator,
        starts_at=soon,
        place="社区调解室",
        notes="双方陈述意见，同意赔偿。",
        session_id=planned.pk,
        now=soon + timedelta(hours=2),
    )
    assert held.pk == planned.pk and held.held and list(held.mediators.all()) == [mediator]
    assert DisputeAction.objects.filter(dispute=dispute, action="session").count() == 2


def test_confirmation_window_is_thirty_days(take_in, act, user):
    dispute = mediating(take_in, act, user)
    today = timezone.localdate()
    dispute = act(
        dispute, "agree", "tiaojie", form="written", terms="赔偿", performance_method="转账", performance_due=str(today)
    )
    mediator = user("tiaojie")
    later = timezone.now() + timedelta(days=40)
    with pytest.raises(ValidationError) as exc:
        services.confirmation_record(
            dispute_id=dispute.pk, actor=mediator, applied_on=str((later).date()), court="温江区人民法院", now=later
        )
    assert "applied_on" in exc.value.message_dict
    record = services.confirmation_record(
        dispute_id=dispute.pk,
        actor=mediator,
        applied_on=str(today),
        court="温江区人民法院",
        case_number="(2026)川0115民特1号",
    )
    assert record.court == "温江区人民法院"


def test_signals_raise_one_alarm_to_the_police_and_the_center(take_in, act, user):
    dispute = take_in(signals=["threats"])
    assert dispute.alarmed_at is not None and dispute.risk == "orange"
    told = set(
        Notification.objects.filter(kind="dispute_alarm", subject_id=dispute.pk).values_list(
            "user__username", flat=True
        )
    )
    assert {"police", "hangtianlu"} <= told
    act(dispute, "risk", "hangtianlu", signals=["threats", "weapons"])
    assert (
        Notification.objects.filter(kind="dispute_alarm", subject_id=dispute.pk, user__username="police").count() == 1
    )


def test_a_red_case_has_a_plan_and_a_joint_meeting(take_in, act):
    dispute = take_in()
    with pytest.raises(ValidationError):
        act(dispute, "risk", "hangtianlu", risk="red")
    meeting = (timezone.now() + timedelta(days=1)).isoformat()
    dispute = act(
        dispute, "risk", "hangtianlu", risk="red", risk_plan="公安、司法、街道联合化解", joint_meeting_at=meeting
    )
    assert dispute.risk == "red"


def test_the_timeline_is_immutable(take_in):
    row = DisputeAction.objects.filter(dispute=take_in()).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeAction.objects.filter(pk=row.pk).update(reason="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeAction.objects.filter(pk=row.pk).delete()


def test_converted_from_an_event_links_both_ways(take_in, db, hangtian_point, user):
    from events import services as event_services
    from events.models import EventCategory

    event, _ = event_services.event_report(
        reporter=user("gridworker"),
        category_id=EventCategory.objects.filter(active=True).first().pk,
        description="两户因漏水争吵",
        lat=hangtian_point.y,
        lng=hangtian_point.x,
        client_id=str(uuid.uuid4()),
    )
    dispute = take_in(intake="event", event_id=event.pk)
    assert event.dispute == dispute and dispute.event == event
    with pytest.raises(ValidationError):
        take_in(intake="event", event_id=event.pk)
