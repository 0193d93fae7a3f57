"""Adding photos is a step of the timeline, open only to whoever may act on the event in its state."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import Role, User
from events.choices import Action, AssignmentState, State
from events.domain.permissions import ActorFacts, EventFacts, may
from events.domain.states import FINAL_STATES, TRANSITIONS
from events.models import Attachment, EventAction

# --- the rule, over plain facts (no database) -------------------------------------------------------

HOLDER = "/1/2/3/"
REPORTER, ASSIGNEE, OTHER = 10, 11, 12


def actor(role, *, user_id=OTHER, center_path=None, department_id=None, is_admin=False):
    return ActorFacts(
        user_id=user_id, role=role, center_path=center_path, department_id=department_id, is_admin=is_admin
    )


def facts(state, departments=None, assignee_id=None, verifier_id=None):
    return EventFacts(
        state=state,
        center_path=HOLDER,
        reporter_id=REPORTER,
        assignee_id=assignee_id,
        verifier_id=verifier_id,
        departments=departments or {},
    )


OPEN = [s for s in State if s not in FINAL_STATES]


@pytest.mark.parametrize("state", OPEN)
def test_the_holding_centers_staff_and_administrators_may_add_photos_while_open(state):
    assert may(actor(Role.CENTER_STAFF, center_path=HOLDER), facts(state), Action.ATTACH)
    assert may(actor(Role.ADMIN, is_admin=True), facts(state), Action.ATTACH)


@pytest.mark.parametrize("state", OPEN)
def test_seeing_an_event_is_not_enough(state):
    above = actor(Role.DUTY_OFFICER, center_path="/1/")  # the district sees the community's events
    beside = actor(Role.CENTER_STAFF, center_path="/1/2/4/")
    grid_worker = actor(Role.GRID_WORKER, center_path=HOLDER)  # a worker of the event's grid
    volunteer = actor(Role.VOLUNTEER, center_path=HOLDER)
    for someone in (above, beside, grid_worker, volunteer):
        assert not may(someone, facts(state), Action.ATTACH), (someone, state)


@pytest.mark.parametrize("state", OPEN)
def test_the_reporter_adds_photos_only_while_the_report_waits(state):
    reporter = actor(Role.GRID_WORKER, user_id=REPORTER, center_path=HOLDER)
    assert may(reporter, facts(state), Action.ATTACH) == (state == State.REPORTED)


@pytest.mark.parametrize("state", [s for s in OPEN if s != State.REPORTED])  # a report has no ticket yet
def test_a_department_while_it_holds_an_active_ticket(state):
    staff = actor(Role.DEPARTMENT_STAFF, department_id=5)
    for ticket in AssignmentState:
        if ticket == AssignmentState.RETURNED:
            continue  # a returned ticket is no longer active: not in `departments`
        assert may(staff, facts(state, departments={5: ticket}), Action.ATTACH)
    assert not may(staff, facts(state, departments={6: AssignmentState.SIGNED}), Action.ATTACH)
    assert not may(staff, facts(state), Action.ATTACH)


@pytest.mark.parametrize("state", OPEN)
def test_the_assigned_grid_worker_while_the_task_is_theirs(state):
    worker = actor(Role.GRID_WORKER, user_id=ASSIGNEE, center_path=HOLDER)
    handling = state in (State.DISPATCHED, State.IN_PROGRESS)
    assert may(worker, facts(state, assignee_id=ASSIGNEE), Action.ATTACH) == handling
    # Sent to verify on site (a different role): photos of the check while it is theirs.
    assert may(worker, facts(state, verifier_id=ASSIGNEE), Action.ATTACH) == (state == State.VERIFYING)


def test_the_state_table_allows_photos_while_open_and_never_once_final():
    for state in State:
        assert ((state, Action.ATTACH) in TRANSITIONS) == (state not in FINAL_STATES)
        if state not in FINAL_STATES:
            assert TRANSITIONS[(state, Action.ATTACH)] == state  # a step that changes no state


# --- the step, through the API and the page ---------------------------------------------------------


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 160, 60)).save(out, "JPEG")
    return out.getvalue()


def add(api, username, event, n=1, **data):
    files = [SimpleUploadedFile(f"p{i}.jpg", jpeg()) for i in range(n)]
    return api.as_user(username).post(
        f"/api/events/{event.pk}/attachments/", {"image": files, **data}, format="multipart"
    )


@pytest.mark.django_db
def test_photos_added_by_the_holding_center_are_one_step_of_the_timeline(api, drive):
    event = drive("accepted")
    before = event.actions.count()
    response = add(api, "hangtianlu", event, n=2, kind="other", reason="现场补充照片")
    assert response.status_code == 201, response.json()
    step = event.actions.order_by("-created_at", "-id").first()
    assert event.actions.count() == before + 1
    assert (step.action, step.from_state, step.to_state) == ("attach", "accepted", "accepted")
    assert step.actor.username == "hangtianlu" and step.actor_center.name == "航天路社区"
    assert step.reason == "现场补充照片"
    assert step.data == {"kind": "other", "photos": 2}
    assert sorted(step.attachments.values_list("pk", flat=True)) == sorted(a["id"] for a in response.json())
    assert all(a["action"] == step.pk for a in response.json())
    timeline = api.as_user("duty").get(f"/api/events/{event.pk}/timeline/").json()
    assert timeline[-1]["action"] == "attach" and len(timeline[-1]["attachments"]) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state, username",
    [
        ("accepted", "gridworker"),  # the reporter, once the center accepted the report
        ("accepted", "duty"),  # the district sees it, does not hold it
        ("in_progress", "gridworker"),  # a worker of the event's grid who was not sent
        ("dispatched", "liucheng"),  # the town above
    ],
)
def test_someone_who_may_not_act_now_is_403_and_nothing_is_written(api, drive, state, username):
    event = drive(state)
    before = event.actions.count()
    response = add(api, username, event)
    assert response.status_code == 403, response.json()
    assert response.json()["detail"] and response.json()["action"] == "attach"
    assert event.actions.count() == before
    assert not Attachment.objects.filter(event=event).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["closed", "rejected", "merged"])
def test_a_final_event_takes_no_photo_409(api, drive, state):
    event = drive(state)
    response = add(api, "admin", event)
    assert response.status_code == 409
    assert response.json()["state"] == state and response.json()["action"] == "attach"
    assert not Attachment.objects.filter(event=event).exists()


@pytest.mark.django_db
def test_those_who_act_on_the_event_now_may_add_photos(api, drive):
    event = drive("in_progress")  # police signed
    assert add(api, "police", event, kind="other").status_code == 201
    verifying = drive("verifying")  # the grid worker was sent to verify
    assert add(api, "gridworker", verifying).status_code == 201
    assert add(api, "chengguan", drive("dispatched")).status_code == 201  # an assisting ticket
    offered = api.as_user("police").get(f"/api/events/{event.pk}/").json()["available_actions"]
    assert "attach" in offered
    assert "attach" not in api.as_user("duty").get(f"/api/events/{event.pk}/").json()["available_actions"]


@pytest.mark.django_db
def test_the_actions_endpoint_does_not_make_a_photo_step_without_photos(api, drive):
    event = drive("accepted")
    before = event.actions.count()
    response = api.as_user("hangtianlu").post(f"/api/events/{event.pk}/actions/", {"action": "attach"}, format="json")
    assert response.status_code == 400
    assert "attachments" in str(response.json())
    assert event.actions.count() == before


@pytest.mark.django_db
def test_the_event_page_adds_photos_and_shows_the_step_with_them(drive):
    event = drive("accepted")
    client = Client()
    client.force_login(User.objects.get(username="hangtianlu"))
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert 'name="photos"' in page  # the form is offered to the holder
    response = client.post(
        f"/events/{event.pk}/act/",
        {"action": "attach", "reason": "补拍", "photos": [SimpleUploadedFile("a.jpg", jpeg())]},
    )
    assert response.status_code == 302
    step = EventAction.objects.get(event=event, action="attach")
    [photo] = step.attachments.all()
    page = client.get(f"/events/{event.pk}/").content.decode()
    entry = page[page.index('class="step step-attach"') :]
    entry = entry[: entry.index("</li>")]
    assert "添加照片" in entry and "补拍" in entry
    assert f"/events/photos/{photo.pk}/thumb/" in entry
    # Someone who only sees the event is offered no form, and refused if they post anyway.
    duty = Client()
    duty.force_login(User.objects.get(username="duty"))
    assert 'name="photos"' not in duty.get(f"/events/{event.pk}/").content.decode()
    refused = duty.post(
        f"/events/{event.pk}/act/", {"action": "attach", "photos": [SimpleUploadedFile("a.jpg", jpeg())]}
    )
    assert refused.status_code == 403
    assert EventAction.objects.filter(event=event, action="attach").count() == 1


@pytest.mark.django_db
def test_the_after_photo_of_handle_keeps_working_on_the_page(drive):
    event = drive("in_progress")
    client = Client()
    client.force_login(User.objects.get(username="police"))
    response = client.post(
        f"/events/{event.pk}/act/",
        {"action": "handle", "reason": "已处置", "photo": SimpleUploadedFile("a.jpg", jpeg())},
    )
    assert response.status_code == 302
    handle = EventAction.objects.get(event=event, action="handle")
    [photo] = handle.attachments.all()
    assert photo.kind == "after" and photo.uploaded_by.username == "police"
    assert not EventAction.objects.filter(event=event, action="attach").exists()


@pytest.mark.django_db
def test_a_step_names_only_its_actors_own_waiting_photos(api, drive):
    event = drive("in_progress")
    theirs = add(api, "police", event, kind="after").json()[0]
    response = api.as_user("admin").post(
        f"/api/events/{event.pk}/actions/",
        {"action": "urge", "reason": "请加快", "attachments": [theirs["id"]]},
        format="json",
    )
    assert response.status_code == 400
    assert Attachment.objects.get(pk=theirs["id"]).action_id is None
