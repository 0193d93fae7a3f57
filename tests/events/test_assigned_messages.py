"""The workflow's own messages. Whoever a dispatch gives an event to is told at once: the staff of
the lead and the assisting departments get a ticket to sign for, a grid worker a task. An urge or a
card from a higher center reaches whoever must act, as the engine's warnings do. The message reaches
their open page after the commit, and a failed message never undoes the step."""

import pytest
from django.db import DatabaseError

from accounts.models import Role, User
from inbox.models import Notification

pytestmark = pytest.mark.django_db


def inbox(event, **filters):
    return Notification.objects.filter(subject_type="events.event", subject_id=event.pk, **filters)


def staff_of(*codes):
    return set(
        User.objects.filter(role=Role.DEPARTMENT_STAFF, department__code__in=codes, is_active=True).values_list(
            "pk", flat=True
        )
    )


def test_a_dispatch_gives_each_departments_staff_a_ticket_to_sign_for(
    drive, announced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = drive("dispatched")  # police leads, urban management assists
    tickets = inbox(event, kind="ticket")
    expected = staff_of("police", "urban-management")
    assert expected and set(tickets.values_list("user_id", flat=True)) == expected
    message = tickets.first().message
    assert message.startswith("新工单：") and event.number in message and "垃圾" in message
    assert not inbox(event).exclude(kind="ticket").exists()  # the community does not tell itself
    assert {n.pk for n in announced} == set(tickets.values_list("pk", flat=True))  # pushed after the commit


def test_a_grid_worker_sent_to_check_on_site_gets_a_task(drive, demo_user):
    event = drive("verifying")
    [task] = inbox(event, kind="task")
    assert task.user == demo_user("gridworker") and task.message.startswith("新任务：")


def test_a_grid_worker_sent_to_handle_gets_a_task(report, act, demo_user):
    event = act(report(), "hangtianlu", "accept")
    act(event, "hangtianlu", "dispatch", assignee=demo_user("gridworker").pk)
    assert list(inbox(event, kind="task").values_list("user__username", flat=True)) == ["gridworker"]


def test_a_dispatch_stands_when_its_messages_fail(drive, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise DatabaseError("inbox unavailable")

    monkeypatch.setattr(Notification.objects, "bulk_create", broken)
    event = drive("dispatched")
    assert event.state == "dispatched" and event.assignments.filter(active=True).count() == 2
    assert not inbox(event).exists()
    assert "inbox messages (ticket) failed" in caplog.text


# --- urges and cards from a higher center ---------------------------------------------------------


def center_staff(username):
    from events.services import CENTER_INBOX_ROLES

    center = User.objects.get(username=username).center_id
    return set(User.objects.filter(center_id=center, role__in=CENTER_INBOX_ROLES).values_list("pk", flat=True))


def test_an_urge_reaches_the_holding_community_while_it_holds_the_event(report, act):
    event = act(report(), "liucheng", "urge", reason="群众反映强烈")
    [*urged] = inbox(event, kind="urge")
    assert {n.user_id for n in urged} == center_staff("hangtianlu")
    assert urged[0].message.startswith(f"事件 {event.number}（")
    assert urged[0].message.endswith("收到柳城街道催办：群众反映强烈")


def test_an_urge_reaches_the_departments_while_they_hold_the_ticket(drive, act):
    event = act(drive("dispatched"), "duty", "urge", reason="")
    urged = inbox(event, kind="urge")
    assert set(urged.values_list("user_id", flat=True)) == staff_of("police", "urban-management")
    assert urged.first().message.endswith("收到温江区催办：请抓紧办理")  # no reason given: the usual words


def test_a_card_reaches_the_departments_and_the_holding_center(drive, act):
    event = act(drive("in_progress"), "duty", "supervise", card="yellow_card", reason="超期未办结")
    carded = inbox(event, kind="yellow_card")
    assert set(carded.values_list("user_id", flat=True)) == staff_of("police") | center_staff("hangtianlu")
    assert "被温江区亮黄牌督办：超期未办结" in carded.first().message


def test_the_one_who_urges_is_not_told(report, act):
    event = act(report(), "hangtianlu", "urge", reason="自查")  # the holder urging itself: its colleagues hear
    assert User.objects.get(username="hangtianlu").pk not in set(inbox(event).values_list("user_id", flat=True))


# --- back to the holding center, and back to the departments ---------------------------------------


def test_a_returned_ticket_goes_back_to_the_holding_center(drive, act, dept):
    event = act(drive("dispatched"), "police", "return", reason="不属于本单位职责")
    [*returned] = inbox(event, kind="returned")
    assert {n.user_id for n in returned} == center_staff("hangtianlu")
    assert returned[0].message.endswith(f"被{dept('police').name}退回：不属于本单位职责")


def test_the_center_is_asked_to_verify_only_when_every_department_is_done(drive, act):
    event = drive("dispatched")  # police leads, urban management assists
    act(event, "police", "sign")
    act(event, "chengguan", "sign")
    act(event, "police", "handle", reason="已处置")
    assert not inbox(event, kind="handled").exists()  # urban management is still at work
    event = act(event, "chengguan", "handle", reason="已清运")
    assert event.state == "handled"
    handled = inbox(event, kind="handled")
    assert set(handled.values_list("user_id", flat=True)) == center_staff("hangtianlu")
    assert handled.first().message.endswith("处置完毕，请核查。")


def test_an_extension_request_asks_the_holding_center(drive, act):
    event = act(drive("in_progress"), "police", "request_extension", days=3, reason="需协调多部门")
    [*asked] = inbox(event, kind="extension")
    assert {n.user_id for n in asked} == center_staff("hangtianlu")
    assert "延期 3 天：需协调多部门" in asked[0].message


def test_a_failed_verification_sends_the_ticket_back_to_the_department(drive, act):
    event = act(drive("handled"), "hangtianlu", "verify_fail", reason="现场仍有垃圾")
    assert event.state == "in_progress"
    rework = inbox(event, kind="rework")
    assert set(rework.values_list("user_id", flat=True)) == staff_of("police")
    assert rework.first().message.endswith("核查未通过，请重新处置：现场仍有垃圾")
