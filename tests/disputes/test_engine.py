"""The disputes' sweep on the real database: the clock steps (warning, yellow card, escalation up the
centers, a red card at the root), each made once, on the right calendar; the reminders after an
agreement; who hears of each; and the signal, sent after the commit only.

The expected moments are worked out by hand from the default limits (disputes migration 0002):
mediation 30 calendar days at every level (warning at 70 %: 21 days; escalation a day after the
deadline); acceptance 960 working minutes at a community, 480 at a town.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import User
from clocks import cache as clock_cache
from disputes import clocks as dispute_clocks
from disputes import engine
from disputes.models import (
    Confirmation,
    Dispute,
    DisputeAction,
    DisputeSchedule,
    FollowUp,
    Obligation,
    Reminder,
)
from grids.models import Center
from inbox.models import Notification
from tests.disputes.factories import make_dispute

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
TICK = timedelta(microseconds=1)
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # a Monday
DAY = timedelta(days=1)


def at(month, day, hour, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def fresh_reference():
    dispute_clocks.limits(fresh=True)
    clock_cache.invalidate()
    yield
    clock_cache.invalidate()


def code(name: str) -> str:
    return Center.objects.get(name=name).code


def heard(dispute, kind: str) -> set[str]:
    """Usernames of the inbox messages of `kind` about the case (each told once)."""
    rows = list(
        Notification.objects.filter(subject_type="disputes.dispute", subject_id=dispute.pk, kind=kind).values_list(
            "user__username", flat=True
        )
    )
    assert len(rows) == len(set(rows)), rows
    return set(rows)


def steps(dispute) -> list[tuple[str, int, int, str]]:
    """The clock steps on the timeline: (action, cycle, mark, holding center's level)."""
    return list(
        DisputeAction.objects.filter(dispute=dispute, mark__isnull=False)
        .order_by("id")
        .values_list("action", "cycle", "mark", "level")
    )


def scheduled(dispute):
    return DisputeSchedule.objects.filter(dispute_id=dispute.pk).values_list("next_due_at", flat=True).first()


def community_staff():
    return {"hangtianlu", f"cs{code('航天路社区')}"}


def town_staff():
    return {"liucheng", f"cs{code('柳城街道')}"}


def district_staff():
    return {"duty", "leader", f"cs{code('温江区')}"}


# --- clock steps ----------------------------------------------------------------------------------


def test_warning_deadline_and_escalation_each_at_its_moment_and_once():
    dispute = make_dispute(now=T0)
    first = dispute.clock_cycle
    warn, due, climb = T0 + 21 * DAY, T0 + 30 * DAY, T0 + 31 * DAY
    assert (dispute.warn_at, dispute.due_at, dispute.escalate_at) == (warn, due, climb)
    assert scheduled(dispute) == warn

    assert engine.sweep(now=warn - TICK) == 0
    assert steps(dispute) == []

    # The warning: a yellow light, the holding center's staff and the mediator told.
    assert engine.sweep(now=warn) == 1
    assert engine.sweep(now=warn) == 0
    dispute.refresh_from_db()
    assert dispute.light == "yellow" and dispute.clock_marks == 1
    assert steps(dispute) == [("warn", first, 1, "community")]
    assert DisputeAction.objects.get(dispute=dispute, mark=1).data == {"phase": "mediate"}
    assert DisputeAction.objects.get(dispute=dispute, mark=1).actor is None
    assert heard(dispute, "dispute_warning") == community_staff() | {"mediator"}
    assert scheduled(dispute) == due

    # The deadline: red, a yellow card, told to the town above as well.
    assert engine.sweep(now=due - TICK) == 0
    assert engine.sweep(now=due) == 1
    assert engine.sweep(now=due + DAY - TICK) == 0
    dispute.refresh_from_db()
    assert dispute.light == "red" and dispute.clock_marks == 3
    card = DisputeAction.objects.get(dispute=dispute, mark=2)
    assert (card.action, card.data) == ("warn", {"phase": "mediate", "card": "yellow_card"})
    assert heard(dispute, "dispute_overdue") == community_staff() | {"mediator"} | town_staff()
    assert scheduled(dispute) == climb

    # A day later: up to the town, whose clock starts afresh (a new cycle, its own 30 days).
    assert engine.sweep(now=climb) == 1
    assert engine.sweep(now=climb) == 0
    dispute.refresh_from_db()
    assert (dispute.center.name, dispute.level, dispute.escalations) == ("柳城街道", "town", 1)
    assert (dispute.clock_cycle, dispute.clock_marks, dispute.light) == (first + 1, 0, "green")
    assert (dispute.warn_at, dispute.due_at, dispute.escalate_at) == (
        climb + 21 * DAY,
        climb + 30 * DAY,
        climb + 31 * DAY,
    )
    assert dispute.mediation_due == climb + 30 * DAY
    assert scheduled(dispute) == climb + 21 * DAY
    up = DisputeAction.objects.get(dispute=dispute, mark=4)
    assert (up.action, up.cycle, up.center_id, up.level) == ("escalate", first, dispute.center_id, "town")
    assert up.data["from_level"] == "community" and up.data["to_level"] == "town"
    assert heard(dispute, "dispute_escalated") == town_staff()
    message = Notification.objects.get(subject_id=dispute.pk, kind="dispute_escalated", user__username="liucheng")
    assert (
        message.message
        == f"矛盾纠纷{dispute.number}“邻里漏水纠纷”在航天路社区未按时办理，已上报至柳城街道，请及时处理。"
    )
    assert steps(dispute) == [
        ("warn", first, 1, "community"),
        ("warn", first, 2, "community"),
        ("escalate", first, 4, "town"),
    ]


def test_the_warning_text_is_stored_in_chinese_with_the_number_title_and_deadline():
    dispute = make_dispute(now=T0)
    engine.sweep(now=T0 + 21 * DAY)
    message = Notification.objects.get(subject_id=dispute.pk, user__username="mediator")
    assert message.message == f"矛盾纠纷{dispute.number}“邻里漏水纠纷”的调解期限将于2026-04-01 10:00届满，请抓紧调解。"
    assert message.subject_url == f"/disputes/{dispute.pk}/"


def test_a_case_climbs_community_town_district_and_the_root_gets_a_red_card():
    dispute = make_dispute(now=T0)
    now = T0
    for level in ("town", "district"):
        now += 31 * DAY  # every moment of the running cycle has come: warning, deadline, escalation
        assert engine.sweep(now=now) == 3
        dispute.refresh_from_db()
        assert dispute.level == level
        assert dispute.phase_started_at == now
        assert scheduled(dispute) == now + 21 * DAY
    assert dispute.escalations == 2
    assert heard(dispute, "dispute_escalated") == town_staff() | district_staff()
    # The district's yellow card reaches nobody above it: there is none.
    district_cycle = dispute.clock_cycle
    assert engine.sweep(now=now + 31 * DAY) == 3
    dispute.refresh_from_db()
    assert (dispute.level, dispute.escalations, dispute.clock_cycle) == ("district", 2, district_cycle)
    assert dispute.clock_marks == 7 and dispute.light == "red"
    red = DisputeAction.objects.get(dispute=dispute, cycle=district_cycle, mark=4)
    assert (red.action, red.data, red.level) == ("warn", {"phase": "mediate", "card": "red_card"}, "district")
    assert heard(dispute, "dispute_red_card") == district_staff()
    assert scheduled(dispute) is None  # nothing more is pending
    assert engine.sweep(now=now + 400 * DAY) == 0
    assert [s[3] for s in steps(dispute)] == ["community", "community", "town"] + ["town"] * 2 + ["district"] * 4


def test_one_late_sweep_makes_the_three_steps_in_order_and_tells_each():
    dispute = make_dispute(now=T0)
    assert engine.sweep(now=T0 + 45 * DAY) == 3
    assert [s[2] for s in steps(dispute)] == [1, 2, 4]
    assert heard(dispute, "dispute_warning") == community_staff() | {"mediator"}
    assert heard(dispute, "dispute_overdue") == community_staff() | {"mediator"} | town_staff()
    assert heard(dispute, "dispute_escalated") == town_staff()
    dispute.refresh_from_db()
    # The town's clock runs from the sweep that moved it.
    assert dispute.warn_at == T0 + 45 * DAY + 21 * DAY


def test_a_step_already_on_the_timeline_is_skipped_not_an_error():
    """Should the case's marks ever lag its timeline (a row from an earlier run), the unique
    (case, cycle, mark) refuses the repeat under a savepoint: no second row, no message, the mark set."""
    dispute = make_dispute(now=T0)
    DisputeAction.objects.create(
        dispute=dispute,
        action="warn",
        center=dispute.center,
        level=dispute.level,
        from_state=dispute.state,
        to_state=dispute.state,
        data={"phase": "mediate"},
        created_at=T0 + 21 * DAY,
        cycle=dispute.clock_cycle,
        mark=1,
    )
    assert engine.sweep(now=T0 + 21 * DAY) == 0
    dispute.refresh_from_db()
    assert dispute.clock_marks == 1 and dispute.light == "green"
    assert DisputeAction.objects.filter(dispute=dispute, mark=1).count() == 1
    assert heard(dispute, "dispute_warning") == set()
    assert scheduled(dispute) == T0 + 30 * DAY
    assert engine.sweep(now=T0 + 30 * DAY) == 1  # the rest goes on


def test_a_suspended_case_has_no_schedule_row_and_nothing_happens_to_it():
    dispute = make_dispute(now=T0, state="suspended", phase="", suspended_from="mediating", suspended_at=T0)
    assert scheduled(dispute) is None
    assert engine.sweep(now=T0 + 400 * DAY) == 0
    assert steps(dispute) == []


def test_a_stale_schedule_row_of_a_case_no_longer_running_is_removed():
    """A case that left its phase while its schedule row stayed (written by hand here) is claimed once
    and its row removed: nothing is made."""
    dispute = make_dispute(now=T0, state="agreed", phase="", agreed_at=T0)
    DisputeSchedule.objects.create(dispute=dispute, next_due_at=T0)
    assert engine.sweep(now=T0 + DAY) == 0
    assert scheduled(dispute) is None
    assert steps(dispute) == []


def test_acceptance_counts_the_community_calendar_working_hours_and_holidays():
    """Taken in on Thursday 30 April 2026 at 16:00; 1–5 May are holidays, Saturday 9 May a make-up
    working day; the community works 9:00–12:00 and 13:30–17:30 (420 minutes a day).

    Acceptance within 960 working minutes: 90 on 30 April, 420 on 6 May, 420 on 7 May, 30 on
    8 May: due at 09:30 on 8 May. Warning at 672 minutes: 90 + 420 + 162 → 11:42 on 7 May. The
    escalation 1440 working minutes after the deadline: 390 on 8 May, 420 on 9 May, 420 on 11 May,
    180 + 30 on 12 May → 14:00 on 12 May. The town keeps round-the-clock duty: its 480 minutes run
    from 14:00 (warning at 336 minutes, 19:36)."""
    from wenjiang_ops.demo import assign_calendars

    assign_calendars(lambda line: None)  # the seed's calendars (communities: office hours)
    clock_cache.invalidate()
    dispute = make_dispute(now=at(4, 30, 16), state="received", phase="accept")
    assert (dispute.warn_at, dispute.due_at, dispute.escalate_at) == (at(5, 7, 11, 42), at(5, 8, 9, 30), at(5, 12, 14))

    for moment in (at(5, 1, 12), at(5, 5, 23), at(5, 7, 11, 42) - TICK):
        assert engine.sweep(now=moment) == 0, moment
    assert engine.sweep(now=at(5, 7, 11, 42)) == 1
    assert engine.sweep(now=at(5, 8, 9, 30) - TICK) == 0
    assert engine.sweep(now=at(5, 8, 9, 30)) == 1
    assert engine.sweep(now=at(5, 12, 14) - TICK) == 0
    assert engine.sweep(now=at(5, 12, 14)) == 1
    dispute.refresh_from_db()
    assert (dispute.level, dispute.phase) == ("town", "accept")
    assert (dispute.warn_at, dispute.due_at) == (at(5, 12, 19, 36), at(5, 12, 22))
    assert dispute.mediation_due is None  # acceptance is not the mediation
    assert heard(dispute, "dispute_warning") == community_staff() | {"mediator"}
    text = Notification.objects.get(subject_id=dispute.pk, kind="dispute_warning", user__username="hangtianlu")
    assert "尚未受理" in text.message and "2026-05-08 09:30" in text.message


def test_an_inactive_user_and_an_inactive_mediator_are_not_told():
    dispute = make_dispute(now=T0, mediators=("mediator", "liucheng"))
    dispute.mediator_rows.filter(user__username="liucheng").update(active=False)
    User.objects.filter(username="hangtianlu").update(is_active=False)
    engine.sweep(now=T0 + 21 * DAY)
    assert heard(dispute, "dispute_warning") == {f"cs{code('航天路社区')}", "mediator"}


def test_the_signal_is_sent_after_the_commit_only(django_capture_on_commit_callbacks):
    from disputes.signals import dispute_changed

    a, b = make_dispute(now=T0), make_dispute(now=T0 + DAY)
    quiet = make_dispute(now=T0 + 10 * DAY)
    received = []

    def receiver(sender, dispute_ids, action, **kwargs):
        received.append((sender, sorted(dispute_ids), action))

    dispute_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert engine.sweep(now=T0 + 22 * DAY) == 2
        assert received == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        dispute_changed.disconnect(receiver)
    assert received == [(Dispute, sorted([a.pk, b.pk]), "clock")]
    assert quiet.pk not in received[0][1]


def test_escalate_to_parent_is_false_at_the_root_and_changes_nothing():
    dispute = make_dispute(now=T0, center_name="温江区")
    before = (dispute.center_id, dispute.level, dispute.clock_cycle, dispute.escalations)
    assert engine.escalate_to_parent(dispute, now=T0 + DAY) is False
    assert (dispute.center_id, dispute.level, dispute.clock_cycle, dispute.escalations) == before


# --- reminders ------------------------------------------------------------------------------------


AGREED = at(3, 2, 15)


def agreed_case(**fields):
    fields.setdefault("agreement_form", "written")
    return make_dispute(now=T0, state="agreed", phase="", agreed_at=AGREED, concluded_at=AGREED, **fields)


def pending(dispute):
    return sorted(
        Reminder.objects.filter(dispute=dispute).values_list("kind", "key", "due_at", "sent_at", "cancelled"),
        key=lambda row: (row[0], row[1]),
    )


def test_the_plan_has_a_reminder_per_follow_up_and_obligation_and_the_confirmation_window():
    dispute = agreed_case()
    visit = FollowUp.objects.create(dispute=dispute, due_date=date(2026, 3, 20))
    FollowUp.objects.create(dispute=dispute, due_date=date(2026, 3, 9), visited_at=at(3, 9, 10))  # made
    pay = Obligation.objects.create(dispute=dispute, description="赔偿装修损失3000元", due_date=date(2026, 3, 16))
    engine.reminders_plan(dispute, now=AGREED)
    assert pending(dispute) == [
        ("confirmation", 0, AGREED + 25 * DAY, None, False),
        ("follow_up", visit.pk, at(3, 20, 9), None, False),
        ("obligation", pay.pk, at(3, 16, 9), None, False),
    ]
    # Planned again after a change: the date follows, nothing is doubled; a subject done is cancelled.
    visit.due_date = date(2026, 3, 23)
    visit.save()
    pay.performed_at = at(3, 10, 11)
    pay.save()
    engine.reminders_plan(dispute, now=AGREED)
    assert pending(dispute) == [
        ("confirmation", 0, AGREED + 25 * DAY, None, False),
        ("follow_up", visit.pk, at(3, 23, 9), None, False),
        ("obligation", pay.pk, at(3, 16, 9), None, True),
    ]


def test_no_confirmation_reminder_for_an_oral_agreement_or_once_applied_for():
    oral = agreed_case(agreement_form="oral")
    engine.reminders_plan(oral, now=AGREED)
    assert pending(oral) == []
    applied = agreed_case()
    Confirmation.objects.create(dispute=applied, applied_on=date(2026, 3, 5), court="温江区人民法院")
    engine.reminders_plan(applied, now=AGREED)
    assert pending(applied) == []


def test_reminders_are_sent_once_at_their_moment_to_the_mediators_and_the_center():
    dispute = agreed_case()
    visit = FollowUp.objects.create(dispute=dispute, due_date=date(2026, 3, 20))
    pay = Obligation.objects.create(dispute=dispute, description="赔偿装修损失3000元", due_date=date(2026, 3, 16))
    engine.reminders_plan(dispute, now=AGREED)

    assert engine.sweep(now=at(3, 16, 9) - TICK) == 0
    assert engine.sweep(now=at(3, 16, 9)) == 1
    assert engine.sweep(now=at(3, 16, 9)) == 0
    assert heard(dispute, "dispute_obligation_due") == community_staff() | {"mediator"}
    text = Notification.objects.get(subject_id=dispute.pk, kind="dispute_obligation_due", user__username="mediator")
    assert text.message == (
        f"矛盾纠纷{dispute.number}“邻里漏水纠纷”的履行事项“赔偿装修损失3000元”应于2026-03-16前履行，请跟进履行情况。"
    )
    row = DisputeAction.objects.get(dispute=dispute, data__reminder="obligation")
    assert (row.action, row.data, row.mark, row.cycle, row.actor) == (
        "warn",
        {"reminder": "obligation", "key": pay.pk},
        None,
        None,
        None,
    )

    assert engine.sweep(now=at(4, 30, 9)) == 2  # the follow-up and the confirmation window
    assert heard(dispute, "dispute_follow_up_due") == community_staff() | {"mediator"}
    window = Notification.objects.get(
        subject_id=dispute.pk, kind="dispute_confirmation_window", user__username="mediator"
    )
    assert "2026-04-01前" in window.message  # 30 days after 2 March
    assert [r[3] is not None for r in pending(dispute)] == [True, True, True]
    assert engine.sweep(now=at(6, 30, 9)) == 0
    assert DisputeAction.objects.filter(dispute=dispute, data__has_key="reminder").count() == 3
    # A sent reminder is not planned again.
    engine.reminders_plan(dispute, now=at(6, 30, 9))
    assert Reminder.objects.filter(dispute=dispute, sent_at__isnull=True).count() == 0
    assert visit.pk in Reminder.objects.filter(dispute=dispute).values_list("key", flat=True)


def test_a_reminder_whose_subject_is_done_is_cancelled_not_sent():
    dispute = agreed_case()
    visit = FollowUp.objects.create(dispute=dispute, due_date=date(2026, 3, 20))
    pay = Obligation.objects.create(dispute=dispute, description="赔偿3000元", due_date=date(2026, 3, 16))
    engine.reminders_plan(dispute, now=AGREED)
    # Done meanwhile, without planning again (the sweep checks the subject itself).
    FollowUp.objects.filter(pk=visit.pk).update(visited_at=at(3, 19, 10))
    Obligation.objects.filter(pk=pay.pk).update(performed_at=at(3, 12, 10))
    Confirmation.objects.create(dispute=dispute, applied_on=date(2026, 3, 25), court="温江区人民法院")
    assert engine.sweep(now=at(5, 1, 9)) == 0
    assert {(kind, cancelled, sent) for kind, _, _, sent, cancelled in pending(dispute)} == {
        ("confirmation", True, None),
        ("follow_up", True, None),
        ("obligation", True, None),
    }
    assert not Notification.objects.filter(subject_id=dispute.pk, subject_type="disputes.dispute").exists()
    assert not DisputeAction.objects.filter(dispute=dispute).exists()


def test_reminders_stop_when_the_agreement_no_longer_stands_and_come_back_with_a_new_one():
    dispute = agreed_case()
    Obligation.objects.create(dispute=dispute, description="赔偿3000元", due_date=date(2026, 3, 16))
    engine.reminders_plan(dispute, now=AGREED)
    Dispute.objects.filter(pk=dispute.pk).update(state="mediating")  # breached: mediated again
    assert engine.sweep(now=at(3, 28, 9)) == 0  # the obligation and the confirmation window were due
    assert [row[4] for row in pending(dispute)] == [True, True]
    # Agreed again: planning revives the reminders not sent.
    Dispute.objects.filter(pk=dispute.pk).update(state="agreed", agreed_at=at(3, 20, 10))
    dispute.refresh_from_db()
    engine.reminders_plan(dispute, now=at(3, 20, 10))
    assert [(kind, due, cancelled) for kind, _, due, _, cancelled in pending(dispute)] == [
        ("confirmation", at(3, 20, 10) + 25 * DAY, False),
        ("obligation", at(3, 16, 9), False),
    ]
    assert engine.sweep(now=at(3, 20, 11)) == 1  # the obligation, overdue since the 16th


def test_reminders_cancel_by_kind_and_key():
    dispute = agreed_case()
    a = FollowUp.objects.create(dispute=dispute, due_date=date(2026, 3, 20))
    b = FollowUp.objects.create(dispute=dispute, due_date=date(2026, 4, 20))
    engine.reminders_plan(dispute, now=AGREED)
    assert engine.reminders_cancel(dispute, "follow_up", a.pk) == 1
    assert engine.reminders_cancel(dispute, "follow_up", a.pk) == 0
    assert engine.reminders_cancel(dispute, "confirmation") == 1
    assert [(kind, key, cancelled) for kind, key, _, _, cancelled in pending(dispute)] == [
        ("confirmation", 0, True),
        ("follow_up", a.pk, True),
        ("follow_up", b.pk, False),
    ]
    assert engine.reminders_cancel(dispute) == 1
