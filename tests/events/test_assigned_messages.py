"""Whoever a dispatch gives an event to is told at once: the staff of the lead and the assisting
departments get a ticket to sign for, a grid worker a task; the message reaches their open page
after the commit, and a failed message never undoes the dispatch."""

import pytest
from django.db import DatabaseError

from accounts.models import Notification, Role, User

pytestmark = pytest.mark.django_db


def inbox(event, **filters):
    return Notification.objects.filter(event_id=event.pk, **filters)


def staff_of(*codes):
    return set(
        User.objects.filter(role=Role.DEPARTMENT_STAFF, department__code__in=codes, is_active=True).values_list(
            "pk", flat=True
        )
    )


def test_a_dispatch_gives_each_departments_staff_a_ticket_to_sign_for(drive, django_capture_on_commit_callbacks):
    from accounts.notify import notification_created

    announced = []

    def receiver(sender, notifications, **kwargs):
        announced.extend(notifications)

    notification_created.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = drive("dispatched")  # police leads, urban management assists
    finally:
        notification_created.disconnect(receiver)
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
    assert "the messages of a dispatch failed" in caplog.text
