"""The workflow end to end through the API: departments, returns, rework, escalation, merge,
suspension, extensions, supervision, reopen; 404 / 403 / 409 as the contract says."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from events.choices import Action, State
from events.models import Event, EventAction
from events.services import event_transition

pytestmark = pytest.mark.django_db


def post(api, username, event, action, lang="zh-hans", **params):
    return api.as_user(username).post(
        f"/api/events/{event.pk}/actions/",
        {"action": action, **params},
        format="json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def test_joint_handling_closes_only_when_every_department_is_done(api, report, dept):
    event = report()
    police, chengguan = dept("police"), dept("urban-management")
    assert post(api, "hangtianlu", event, "accept").json()["state"] == "accepted"
    body = post(api, "hangtianlu", event, "dispatch", lead_department=police.pk, departments=[chengguan.pk]).json()
    assert body["state"] == "dispatched"
    assert {(a["department"]["id"], a["role"]) for a in body["assignments"]} == {
        (police.pk, "lead"),
        (chengguan.pk, "assist"),
    }
    assert post(api, "chengguan", event, "sign").json()["state"] == "dispatched"  # assisting signs first
    assert post(api, "police", event, "sign").json()["state"] == "in_progress"
    assert post(api, "police", event, "handle", reason="已清运").json()["state"] == "in_progress"
    body = post(api, "chengguan", event, "handle", reason="已整治").json()
    assert body["state"] == "handled"
    assert post(api, "hangtianlu", event, "verify_pass", satisfied=True).json()["state"] == "closed"
    rows = list(EventAction.objects.filter(event=event).order_by("id").values_list("action", "from_state", "to_state"))
    assert rows == [
        ("report", "", "reported"),
        ("accept", "reported", "accepted"),
        ("dispatch", "accepted", "dispatched"),
        ("sign", "dispatched", "dispatched"),
        ("sign", "dispatched", "in_progress"),
        ("handle", "in_progress", "in_progress"),
        ("handle", "in_progress", "handled"),
        ("verify_pass", "handled", "closed"),
    ]
    event.refresh_from_db()
    assert event.closed_at and event.satisfied is True and event.phase == ""


def test_timeline_api_lists_every_step_with_who_and_where(api, drive):
    event = drive("in_progress")
    rows = api.as_user("hangtianlu").get(f"/api/events/{event.pk}/timeline/").json()
    assert [r["action"] for r in rows] == ["report", "accept", "dispatch", "sign"]
    sign = rows[-1]
    assert sign["actor"]["name"] and sign["actor_role"] == "department_staff"
    assert sign["actor_department"]["name"] == "温江区公安分局"
    assert rows[1]["actor_center"]["name"] == "航天路社区" and rows[1]["level"] == "community"


def test_a_lead_return_goes_back_to_the_center_and_counts(api, drive):
    event = drive("dispatched")
    assert post(api, "police", event, "return", reason="").status_code == 400  # a reason is required
    body = post(api, "police", event, "return", reason="不属于本部门职责").json()
    assert body["state"] == "accepted" and body["assignments"] == [] and body["returns"] == 1
    # The returned department no longer sees a ticket to act on, but keeps its history.
    assert post(api, "police", event, "sign").status_code == 409


def test_an_assisting_return_only_drops_that_department(api, drive, dept):
    event = drive("dispatched")
    body = post(api, "chengguan", event, "return", reason="非本部门").json()
    assert body["state"] == "dispatched"
    assert [a["department"]["id"] for a in body["assignments"]] == [dept("police").pk]


def test_failed_verification_is_rework(api, drive):
    event = drive("handled")
    body = post(api, "hangtianlu", event, "verify_fail", reason="现场仍有垃圾").json()
    assert body["state"] == "in_progress" and body["reworks"] == 1
    assert post(api, "police", event, "handle", reason="再次清运").json()["state"] == "handled"


def test_a_grid_worker_verifies_on_site(api, drive, demo_user):
    event = drive("verifying")
    assert Event.objects.get(pk=event.pk).verifier == demo_user("gridworker")
    tasks = api.as_user("gridworker").get("/api/events/", {"mine": "tasks"}).json()["results"]
    assert event.pk in [t["id"] for t in tasks]
    assert post(api, "gridworker", event, "verify_pass").json()["state"] == "closed"


def test_a_grid_worker_handles_on_the_spot_what_they_reported(api, report):
    event = report("gridworker")
    assert post(api, "gridworker", event, "self_handle").json()["state"] == "self_handled"
    assert post(api, "hangtianlu", event, "verify_pass").json()["state"] == "closed"


def test_escalation_climbs_parent_by_parent_and_stops_at_the_top(api, drive):
    event = drive("accepted")
    before = Event.objects.get(pk=event.pk)
    body = post(api, "hangtianlu", event, "escalate", reason="社区无法协调").json()
    assert (body["center"]["name"], body["level"], body["escalations"]) == ("柳城街道", "town", 1)
    after = Event.objects.get(pk=event.pk)
    assert after.phase_started_at > before.phase_started_at  # the clock restarted at the new level
    assert after.due_at - after.phase_started_at == timedelta(minutes=60)  # the town's accept limit
    # The community keeps read access but may no longer act; the town acts now.
    assert api.as_user("hangtianlu").get(f"/api/events/{event.pk}/").status_code == 200
    assert post(api, "hangtianlu", event, "escalate", reason="再上报").status_code == 403
    assert post(api, "liucheng", event, "escalate", reason="街道无法协调").json()["center"]["name"] == "温江区"
    response = post(api, "duty", event, "escalate", reason="没有更高的一级")
    assert response.status_code == 409
    assert Event.objects.get(pk=event.pk).escalations == 2


def test_merge_names_the_surviving_event(api, drive, report):
    survivor, duplicate = report(), report()
    body = post(api, "hangtianlu", duplicate, "merge", merge_into=survivor.pk, reason="重复上报").json()
    assert body["state"] == "merged" and body["merged_into"] == survivor.pk
    other = report()
    assert post(api, "hangtianlu", other, "merge", merge_into=other.pk, reason="自身").status_code == 400


def test_suspended_time_does_not_count(api, drive):
    event = drive("dispatched")
    t0 = Event.objects.get(pk=event.pk)
    from django.utils import timezone

    from accounts.models import User

    start = timezone.now()
    hangtianlu = User.objects.get(username="hangtianlu")
    event_transition(event_id=event.pk, action="suspend", actor=hangtianlu, reason="等待法院判决", now=start)
    resumed = event_transition(event_id=event.pk, action="resume", actor=hangtianlu, now=start + timedelta(hours=5))
    assert resumed.state == "dispatched"
    assert resumed.due_at - t0.due_at == timedelta(hours=5)
    assert resumed.deadline - t0.deadline == timedelta(hours=5)


def test_an_approved_extension_moves_the_deadlines(api, drive):
    event = drive("in_progress")
    before = Event.objects.get(pk=event.pk)
    assert post(api, "police", event, "request_extension", days=0, reason="需等待").status_code == 400
    assert post(api, "police", event, "request_extension", days=3, reason="需等待配件").json()["extension"] == "pending"
    assert post(api, "police", event, "approve_extension").status_code == 403  # not the department's call
    assert post(api, "hangtianlu", event, "approve_extension").json()["extension"] == "approved"
    after = Event.objects.get(pk=event.pk)
    assert after.deadline - before.deadline == timedelta(days=3)
    assert post(api, "hangtianlu", event, "refuse_extension", reason="x").status_code == 409  # nothing pending


def test_supervision_comes_from_above_and_red_cards_get_a_written_reply(api, drive):
    event = drive("in_progress")
    assert post(api, "hangtianlu", event, "supervise", card="yellow_card", reason="请尽快").status_code == 403
    assert post(api, "liucheng", event, "supervise", card="purple", reason="?").status_code == 400
    assert post(api, "duty", event, "supervise", card="red_card", reason="区级督办").json()["supervision"] == "red_card"
    assert post(api, "liucheng", event, "urge").json()["supervision"] == "red_card"  # never lowered
    assert post(api, "police", event, "reply", reason="已安排专人处置").status_code == 200


def test_reopen_within_the_window(api, drive):
    event = drive("closed")
    body = post(api, "hangtianlu", event, "reopen", reason="群众投诉未解决").json()
    assert body["state"] == "accepted" and body["closed_at"] is None


# --- the contract: 404 outside the scope, 403 for the wrong person, 409 for the wrong state -----------


def test_an_event_outside_the_scope_is_404_for_reads_and_actions(api, drive):
    event = drive("reported")
    for username in ["chengwu", "yongning", "chengguan", "volunteer"]:
        client = api.as_user(username)
        assert client.get(f"/api/events/{event.pk}/").status_code == 404, username
        assert client.get(f"/api/events/{event.pk}/timeline/").status_code == 404, username
        assert post(api, username, event, "accept").status_code == 404, username
    assert post(api, "hangtianlu", Event(pk=10**9), "accept").status_code == 404


@pytest.mark.parametrize(
    ("username", "action", "expected"),
    [
        ("hangtianlu", "accept", 200),
        ("liucheng", "accept", 403),
        ("duty", "accept", 403),
        ("gridworker", "accept", 403),
        ("admin", "accept", 200),
        ("liucheng", "urge", 200),
        ("hangtianlu", "supervise", 403),
        ("gridworker", "self_handle", 200),
        ("hangtianlu", "warn", 400),
    ],
)
def test_who_may_act_on_a_new_report(api, drive, username, action, expected):
    event = drive("reported")
    response = post(api, username, event, action, card="yellow_card")
    assert response.status_code == expected, response.json()


def test_department_staff_see_only_their_tickets(api, drive):
    event = drive("dispatched")
    police = api.as_user("police").get("/api/events/", {"page_size": 500}).json()["results"]
    assert event.pk in [e["id"] for e in police]
    fire = api.as_user("chengwu").get("/api/events/").json()["results"]
    assert event.pk not in [e["id"] for e in fire]
    assert post(api, "police", event, "accept").status_code == 409  # dispatched: accepting is over
    assert post(api, "police", event, "dispatch", lead_department=1).status_code == 409


def test_an_illegal_transition_is_409_with_a_message_and_changes_nothing(api, drive):
    event = drive("closed")
    before = EventAction.objects.filter(event=event).count()
    response = post(api, "hangtianlu", event, "dispatch", lead_department=1)
    assert response.status_code == 409
    assert response.json()["detail"] and response.json()["state"] == "closed"
    assert EventAction.objects.filter(event=event).count() == before


def test_the_timeline_is_immutable_in_the_database(drive):
    event = drive("accepted")
    row = EventAction.objects.filter(event=event).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        EventAction.objects.filter(pk=row.pk).update(reason="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        EventAction.objects.filter(pk=row.pk).delete()


def test_available_actions_follow_state_and_role(api, drive):
    event = drive("dispatched")
    assert set(api.as_user("police").get(f"/api/events/{event.pk}/").json()["available_actions"]) == {
        "sign",
        "return",
        "request_extension",
        "reply",
        "attach",  # photos, while the department holds the ticket
    }
    hangtianlu = set(api.as_user("hangtianlu").get(f"/api/events/{event.pk}/").json()["available_actions"])
    assert {"escalate", "suspend", "urge"} <= hangtianlu and "sign" not in hangtianlu


# The exhaustive table through the API: in every state, every action is taken (200, and the event
# is then in exactly the state the table says) or refused with 409 and nothing written.
STATES = [
    "reported",
    "accepted",
    "self_handled",
    "dispatched",
    "in_progress",
    "handled",
    "verifying",
    "closed",
    "rejected",
    "merged",
    "suspended",
]

# Where the guards, not the table alone, decide. The administrator acts for any center, but is no
# department and no grid worker: handling actions are not theirs (403), whatever the state.
HANDLERS_ONLY = ("sign", "handle", "return", "request_extension", "reply")
GUARDED = {
    **{(s, a): 403 for s in STATES for a in HANDLERS_ONLY},
    # `drive` suspends an accepted event: resuming returns to it
    ("suspended", "resume"): "accepted",
    # no extension is pending: refused as the wrong moment
    **{(s, a): 409 for s in ("dispatched", "in_progress") for a in ("approve_extension", "refuse_extension")},
}


# The states in which `drive` has no ticket for the police: the event is not theirs to see.
POLICE_BLIND = {"reported", "accepted", "self_handled", "closed", "rejected", "merged", "suspended"}
POLICE = {
    ("dispatched", "sign"): "in_progress",
    ("dispatched", "return"): "accepted",
    ("dispatched", "request_extension"): "dispatched",
    ("dispatched", "reply"): "dispatched",
    ("in_progress", "sign"): 403,  # signed already
    ("in_progress", "handle"): "handled",
    ("in_progress", "return"): "accepted",
    ("in_progress", "request_extension"): "in_progress",
    ("in_progress", "reply"): "in_progress",
    ("handled", "reply"): "handled",
}


def _params(action: str, state: str, make_other) -> dict:
    """What each action needs to be valid, so that a 400 never hides a wrong answer."""
    from accounts.models import User
    from grids.models import Department

    params = {"reason": "测试", "card": "yellow_card", "days": 2}
    if action == "dispatch":
        if state == "handled":
            params["assignee"] = User.objects.get(username="gridworker").pk
        else:
            params["lead_department"] = Department.objects.get(code="police").pk
    if action == "merge":
        params["merge_into"] = make_other().pk
    return params


@pytest.mark.parametrize("state", STATES)
def test_every_action_in_every_state_is_taken_exactly_or_409(api, drive, report, state):
    from events.domain.states import TRANSITIONS

    from .test_states import EXPECTED_STATE_CHANGES

    event = drive(state)
    for action in Action:
        if action in (Action.REPORT, Action.WARN, Action.RATE):  # intake, the engine, the hotline's rating
            continue
        before = EventAction.objects.filter(event=event).count()
        with transaction.atomic():
            params = _params(action.value, state, report)
            response = post(api, "admin", event, action.value, lang="en", **params)
            rows = EventAction.objects.filter(event=event).count()
            stored = Event.objects.get(pk=event.pk).state
            transaction.set_rollback(True)
        key = (state, action.value)
        if action == Action.ATTACH and (State(state), action) in TRANSITIONS:
            expected = 400  # photos come through the attachments endpoint (tests/events/test_attach_step.py)
        elif (State(state), action) in TRANSITIONS:
            expected = GUARDED.get(key, EXPECTED_STATE_CHANGES.get(key, state))
        else:
            expected = 409
        if expected in (400, 403, 409):
            assert response.status_code == expected, (state, action, response.status_code, response.json())
            assert rows == before and stored == state, (state, action)
        else:
            assert response.status_code == 200, (state, action, response.status_code, response.json())
            assert response.json()["state"] == expected == stored, (state, action, response.json()["state"])
            assert rows == before + 1, (state, action)
    # The handling actions, by the lead department (police): it sees the event only once dispatched.
    for action in HANDLERS_ONLY:
        with transaction.atomic():
            response = post(api, "police", event, action, lang="en", **_params(action, state, report))
            transaction.set_rollback(True)
        expected = POLICE.get((state, action), 404 if state in POLICE_BLIND else 409)
        got = response.json()["state"] if response.status_code == 200 else response.status_code
        assert got == expected, (state, action, response.status_code, response.json())
    if state in ("dispatched", "in_progress"):
        assert (
            post(api, "admin", event, "approve_extension", lang="en").json()["detail"]
            == "No extension request is pending."
        )


def test_extension_actions_are_offered_only_when_they_can_be_taken(api, drive):
    event = drive("in_progress")
    assert (
        "approve_extension" not in api.as_user("hangtianlu").get(f"/api/events/{event.pk}/").json()["available_actions"]
    )
    post(api, "police", event, "request_extension", days=2, reason="等待配件")
    assert "request_extension" not in api.as_user("police").get(f"/api/events/{event.pk}/").json()["available_actions"]
    offered = api.as_user("hangtianlu").get(f"/api/events/{event.pk}/").json()["available_actions"]
    assert {"approve_extension", "refuse_extension"} <= set(offered)


def test_a_departments_tasks_are_what_it_still_has_to_do(api, drive):
    event = drive("in_progress")
    assert event.pk in [e["id"] for e in api.as_user("police").get("/api/events/", {"mine": "tasks"}).json()["results"]]
    post(api, "police", event, "handle", reason="已处置")
    assert event.pk not in [
        e["id"] for e in api.as_user("police").get("/api/events/", {"mine": "tasks"}).json()["results"]
    ]


def test_department_staff_see_what_they_reported(api, report):
    event = report("police")
    assert api.as_user("police").get(f"/api/events/{event.pk}/").status_code == 200
    assert api.as_user("chengguan").get(f"/api/events/{event.pk}/").status_code == 404


# --- the verifier is not a handler ------------------------------------------------------------------


def test_a_grid_worker_sent_to_verify_gains_no_handling_rights(api, drive, demo_user):
    event = drive("verifying")
    stored = Event.objects.get(pk=event.pk)
    assert stored.verifier == demo_user("gridworker") and stored.assignee is None
    body = post(api, "gridworker", event, "verify_fail", reason="现场仍有垃圾").json()
    assert body["state"] == "in_progress" and body["verifier"]["id"] == demo_user("gridworker").pk
    assert body["available_actions"] == []  # the check is done: nothing is left to the verifier
    # Returning would deactivate every department's ticket; handling is the departments' work.
    for action in ("return", "handle", "sign", "request_extension"):
        assert post(api, "gridworker", event, action, reason="x", days=2).status_code == 403, action
    assert [a.department.code for a in Event.objects.get(pk=event.pk).assignments.filter(active=True)] == ["police"]
    assert post(api, "police", event, "handle", reason="再次清运").json()["state"] == "handled"


def test_a_verifier_only_verifies_while_the_event_is_being_verified(api, drive, demo_user):
    event = drive("verifying")
    assert set(api.as_user("gridworker").get(f"/api/events/{event.pk}/").json()["available_actions"]) == {
        "verify_pass",
        "verify_fail",
        "attach",  # photos of the check
    }
    assert post(api, "gridworker", event, "verify_pass").json()["state"] == "closed"
    assert post(api, "gridworker", event, "reopen", reason="x").status_code == 403


def test_a_handling_grid_worker_keeps_the_task_through_a_rework(api, drive, demo_user):
    worker = demo_user("gridworker")
    event = drive("accepted")
    post(api, "hangtianlu", event, "dispatch", assignee=worker.pk)
    assert post(api, "gridworker", event, "sign").json()["state"] == "in_progress"
    assert post(api, "gridworker", event, "handle", reason="已清运").json()["state"] == "handled"
    other = "gw510115001001002"
    assert post(api, "hangtianlu", event, "dispatch", assignee=demo_user(other).pk).json()["state"] == "verifying"
    assert post(api, other, event, "verify_fail", reason="未清理干净").json()["state"] == "in_progress"
    assert post(api, other, event, "return", reason="x").status_code == 403
    assert post(api, "gridworker", event, "handle", reason="再次清运").json()["state"] == "handled"


def test_an_action_that_takes_the_event_out_of_sight_still_answers_with_the_event(api, drive, demo_user):
    # This grid worker works in another grid: once the task is returned, the event is out of scope.
    worker = "gw510115001001002"
    event = drive("accepted")
    post(api, "hangtianlu", event, "dispatch", assignee=demo_user(worker).pk)
    response = post(api, worker, event, "return", reason="不在本网格")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "accepted" and response.json()["assignee"] is None
    assert api.as_user(worker).get(f"/api/events/{event.pk}/").status_code == 404


# --- dispatch: one rule for the page and the API ------------------------------------------------------


@pytest.fixture
def yongning_squad(db):
    """A department serving another town only (永宁街道), out of 航天路社区's reach."""
    from grids.models import Center, Department

    return Department.objects.create(
        code="yongning-squad",
        name="永宁街道综合执法中队",
        short_name="永宁执法",
        center=Center.objects.get(name="永宁街道"),
    )


def test_the_api_dispatches_only_to_departments_serving_the_area(api, drive, dept, yongning_squad):
    event = drive("accepted")
    response = post(api, "hangtianlu", event, "dispatch", lead_department=yongning_squad.pk)
    assert response.status_code == 400
    assert "永宁街道综合执法中队" in response.json()["lead_department"][0]
    response = post(
        api, "hangtianlu", event, "dispatch", lead_department=dept("police").pk, departments=[yongning_squad.pk]
    )
    assert response.status_code == 400 and "永宁街道综合执法中队" in response.json()["departments"][0]
    assert Event.objects.get(pk=event.pk).state == "accepted"
    assert post(api, "yongning", event, "dispatch", lead_department=yongning_squad.pk).status_code == 404
    assert post(api, "hangtianlu", event, "dispatch", lead_department=dept("police").pk).status_code == 200


def test_the_page_offers_exactly_what_the_service_accepts(demo_user, drive, yongning_squad):
    from events.forms import ActionForm, dispatch_departments
    from events.services import dispatch_departments as accepted

    user = demo_user("hangtianlu")
    offered = set(dispatch_departments(user))
    assert yongning_squad not in offered and offered == set(accepted(user))
    assert yongning_squad in set(dispatch_departments(demo_user("yongning")))
    form = ActionForm(
        {"action": "dispatch", "dispatch_to": "department", "lead_department": yongning_squad.pk},
        event=drive("accepted"),
        user=user,
    )
    assert not form.is_valid() and "lead_department" in form.errors
