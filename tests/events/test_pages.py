"""Event pages: report, my events, the queue, the event page and its action panel, as each role sees them."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from events.models import Attachment, Event, EventAction, EventCategory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, demo_user):
    """The test client signed in as a demo user; English, so that messages can be compared."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def login(username):
        client.force_login(demo_user(username))
        return client

    return login


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(response) -> set[int]:
    """Ids of the events a list page links to."""
    return {int(pk) for pk in re.findall(r'href="/events/(\d+)/"', page(response))}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_the_pages_need_a_login(client, report):
    event = report()
    for url in ["/events/", "/events/report/", "/events/mine/", f"/events/{event.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url
    assert client.post(f"/events/{event.pk}/act/", {"action": "accept"}).status_code == 302
    assert Event.objects.get(pk=event.pk).state == "reported"


# --- report -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["gridworker", "volunteer", "hangtianlu", "duty"])
def test_the_report_page_has_the_categories_the_map_and_sets_the_csrf_cookie(as_user, username):
    response = as_user(username).get("/events/report/")
    html = page(response)
    assert "csrftoken" in response.cookies
    active = EventCategory.objects.filter(active=True)
    for category in active:
        assert f'value="{category.pk}"' in html, category.name
    assert '<optgroup label="环境卫生">' in html and "垃圾乱堆乱放" in html
    assert 'id="report-map"' in html and "/static/vendor/leaflet/leaflet.js" in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html and "multiple" in html
    assert "/static/js/report.js" in html and 'data-api="/api/events/"' in html


def test_inactive_categories_are_not_offered(as_user):
    category = EventCategory.objects.get(code="sa-noise")
    category.active = False
    category.save()
    assert f'value="{category.pk}"' not in page(as_user("gridworker").get("/events/report/"))


def test_the_report_page_starts_at_the_users_area(as_user, demo_user):
    html = page(as_user("gridworker").get("/events/report/"))
    xmin, ymin, xmax, ymax = demo_user("gridworker").center.boundary.extent
    bounds = [float(v) for v in re.search(r'data-bounds="([^"]+)"', html).group(1).split(",")]
    assert bounds == pytest.approx([xmin, ymin, xmax, ymax], abs=1e-6)
    outlines = json.loads(re.search(r'id="report-outlines"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert {o["kind"] for o in outlines} == {"center", "grid"} and "航天路社区第1网格" in {o["name"] for o in outlines}


# --- my reports and tasks ---------------------------------------------------------------------------


def test_my_reports_and_my_tasks(as_user, report, drive):
    mine = report("volunteer", description="楼道堆放杂物")
    other = report("gridworker")
    assert listed(as_user("volunteer").get("/events/mine/")) == {mine.pk}
    html = page(as_user("volunteer").get("/events/mine/"))
    assert mine.number in html and "楼道堆放杂物" in html and "state-reported" in html and "light-green" in html
    assert "?tab=tasks" not in html  # volunteers have no tasks

    verifying = drive("verifying")  # handed to gridworker to check on site
    assert verifying.pk in listed(as_user("gridworker").get("/events/mine/?tab=tasks"))
    assert other.pk not in listed(as_user("gridworker").get("/events/mine/?tab=tasks"))
    assert other.pk in listed(as_user("gridworker").get("/events/mine/?tab=reported"))

    ticket = drive("dispatched")
    assert ticket.pk in listed(as_user("police").get("/events/mine/"))  # department staff: tasks first


# --- the queue --------------------------------------------------------------------------------------


def test_center_staff_see_what_their_center_holds_or_all_of_their_area(as_user, drive, act):
    here, escalated = drive("reported"), drive("accepted")
    act(escalated, "hangtianlu", "escalate", reason="需街道协调")  # now held by 柳城街道
    client = as_user("hangtianlu")
    default = listed(client.get("/events/"))
    assert here.pk in default and escalated.pk not in default
    assert {here.pk, escalated.pk} <= listed(client.get("/events/?holder="))
    assert escalated.pk in listed(as_user("liucheng").get("/events/"))
    assert here.pk not in listed(as_user("liucheng").get("/events/"))
    assert here.pk in listed(as_user("liucheng").get("/events/?holder="))
    assert here.pk not in listed(as_user("duty").get("/events/"))  # the district holds neither
    assert here.pk in listed(as_user("duty").get("/events/?holder="))


def test_department_staff_default_to_their_open_tickets(as_user, drive):
    open_ticket, done = drive("in_progress"), drive("handled")
    client = as_user("police")
    assert open_ticket.pk in listed(client.get("/events/"))
    assert done.pk not in listed(client.get("/events/"))
    assert {open_ticket.pk, done.pk} <= listed(client.get("/events/?mine="))
    assert drive("reported").pk not in listed(client.get("/events/?mine="))  # not a ticket of theirs


def test_the_queue_filters(as_user, report, drive):
    plain, dispatched = report(), drive("dispatched")
    urgent = report(urgent=True, description="燃气泄漏气味")
    late = report(description="逾期未处理")
    Event.objects.filter(pk=late.pk).update(deadline=timezone.now() - timezone.timedelta(hours=1))
    client = as_user("hangtianlu")
    assert listed(client.get("/events/", {"urgent": "true"})) == {urgent.pk}
    assert listed(client.get("/events/", {"search": "燃气"})) == {urgent.pk}
    assert listed(client.get("/events/", {"search": urgent.number})) == {urgent.pk}
    assert listed(client.get("/events/", {"overdue": "true"})) == {late.pk}
    by_state = listed(client.get("/events/", {"state": ["dispatched"]}))
    assert dispatched.pk in by_state and plain.pk not in by_state
    assert listed(client.get("/events/", {"created_before": "2000-01-01"})) == set()
    assert plain.pk in listed(client.get("/events/", {"category": plain.category.parent_id}))
    html = page(client.get("/events/", {"overdue": "true"}))
    assert "overdue-badge" in html
    # The export takes the same filters (exports.views.start answers a small file at once).
    assert '<input type="hidden" name="query" value="overdue=true">' in html


def test_a_bad_filter_is_shown_and_ignored_not_a_server_error(as_user, report):
    event = report()
    from grids.models import Center

    response = as_user("hangtianlu").get("/events/", {"center": Center.objects.get(name="城武社区").pk})
    assert event.pk in listed(response)
    assert 'class="error small"' in page(response)


def test_the_queue_pages_by_25_and_keeps_the_filters(as_user, report):
    for _ in range(26):
        report(description="分页测试")
    client = as_user("hangtianlu")
    first = client.get("/events/", {"search": "分页测试"})
    assert len(listed(first)) == 25
    assert "search=%E5%88%86%E9%A1%B5%E6%B5%8B%E8%AF%95&amp;page=2" in page(first)
    assert len(listed(client.get("/events/", {"search": "分页测试", "page": 2}))) == 1


def test_the_queue_query_count_does_not_grow_with_the_page(as_user, report):
    client = as_user("hangtianlu")
    client.get("/events/")
    counts = []
    for n in (2, 20):
        while Event.objects.filter(center__name="航天路社区").count() < n:
            report()
        with CaptureQueriesContext(connection) as ctx:
            assert len(listed(client.get("/events/"))) == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- the event page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["hangtianlu", "liucheng", "duty", "gridworker", "police", "admin"])
def test_the_event_page_renders_for_whoever_may_see_it(as_user, drive, username):
    event = drive("in_progress")
    html = page(as_user(username).get(f"/events/{event.pk}/"))
    assert event.number in html and "垃圾乱堆乱放" in html and "航天路88号" in html
    assert 'id="event-map"' in html and 'id="event-grid"' in html
    assert "温江区公安分局" in html  # the lead department
    assert html.count('class="step step-') == EventAction.objects.filter(event=event).count()


@pytest.mark.parametrize("username", ["chengwu", "yongning", "chengguan", "volunteer"])
def test_an_event_outside_the_scope_is_404(as_user, drive, username):
    event = drive("reported")
    client = as_user(username)
    assert client.get(f"/events/{event.pk}/").status_code == 404
    assert client.post(f"/events/{event.pk}/act/", {"action": "accept"}).status_code == 404
    assert Event.objects.get(pk=event.pk).state == "reported"
    assert client.get("/events/999999999/").status_code == 404


def test_the_action_panel_offers_what_the_user_may_do(as_user, drive):
    event = drive("reported")
    html = page(as_user("hangtianlu").get(f"/events/{event.pk}/"))
    for action in ["accept", "reject", "merge", "escalate"]:
        assert f'name="action" value="{action}"' in html, action
    assert 'name="action" value="sign"' not in html
    # destructive actions ask first
    reject_form = re.search(r'<form[^>]*data-confirm="[^"]+"[^>]*>\s*<input[^>]+>\s*<input[^>]*value="reject"', html)
    assert reject_form, "reject asks for a confirmation"
    assert 'name="action" value="accept"' not in page(as_user("liucheng").get(f"/events/{event.pk}/"))

    dispatched = drive("dispatched")
    police = page(as_user("police").get(f"/events/{dispatched.pk}/"))
    assert 'value="sign"' in police and 'value="return"' in police and 'value="accept"' not in police


def test_the_action_forms_run_the_workflow(as_user, drive, dept):
    event = drive("reported")
    client = as_user("hangtianlu")
    response = client.post(f"/events/{event.pk}/act/", {"action": "accept"})
    assert response.status_code == 302 and response.url == f"/events/{event.pk}/"
    assert Event.objects.get(pk=event.pk).state == "accepted"
    assert "Accept: done. The event is now “Accepted”." in page(client.get(response.url))

    html = page(client.get(f"/events/{event.pk}/"))
    assert 'name="lead_department"' in html and 'name="departments"' in html and 'name="assignee"' in html
    response = client.post(
        f"/events/{event.pk}/act/",
        {
            "action": "dispatch",
            "dispatch_to": "department",
            "lead_department": dept("police").pk,
            "departments": [dept("urban-management").pk],
            "assignee": "",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == "dispatched"
    assert {(a.department.code, a.role) for a in event.assignments.filter(active=True)} == {
        ("police", "lead"),
        ("urban-management", "assist"),
    }

    response = as_user("police").post(f"/events/{event.pk}/act/", {"action": "sign"}, follow=True)
    assert response.status_code == 200
    assert Event.objects.get(pk=event.pk).state == "in_progress"
    messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert messages[-1] == ("success", "Sign for: done. The event is now “In progress”.")


def test_a_wrong_action_shows_an_error_and_changes_nothing(as_user, drive):
    event = drive("reported")
    before = EventAction.objects.filter(event=event).count()
    client = as_user("hangtianlu")

    response = client.post(f"/events/{event.pk}/act/", {"action": "sign"})  # not in this state
    assert response.status_code == 409
    assert [(m.level_tag, str(m)) for m in response.context["messages"]] == [
        ("error", "“Sign for” is not possible while the event is “Reported”.")
    ]
    assert '<li class="error">' in response.content.decode()

    response = client.post(f"/events/{event.pk}/act/", {"action": "reject", "reason": "  "})  # a reason is required
    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]] == ["Give a reason."]

    response = as_user("gridworker").post(f"/events/{event.pk}/act/", {"action": "accept"})  # not theirs to accept
    assert response.status_code == 403

    response = client.post(f"/events/{event.pk}/act/", {"action": "fly"})  # not an action at all
    assert response.status_code == 400

    assert Event.objects.get(pk=event.pk).state == "reported"
    assert EventAction.objects.filter(event=event).count() == before


def test_a_failed_action_keeps_the_typed_reason(as_user, drive):
    event = drive("reported")
    response = as_user("hangtianlu").post(
        f"/events/{event.pk}/act/", {"action": "merge", "merge_into": "999999999", "reason": "与另一事件重复"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'<details class="action-form[^"]*" open>\s*<summary>[^<]+</summary>\s*<form[^>]*>', html)
    assert ">与另一事件重复</textarea>" in html
    assert Event.objects.get(pk=event.pk).state == "reported"


def test_merge_by_the_number_people_quote(as_user, drive, report):
    event, survivor = drive("reported"), report()
    response = as_user("hangtianlu").post(
        f"/events/{event.pk}/act/", {"action": "merge", "merge_into": survivor.number, "reason": "同一处垃圾"}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == "merged" and event.merged_into_id == survivor.pk
    assert survivor.number in page(as_user("hangtianlu").get(f"/events/{event.pk}/"))


def test_a_grid_worker_is_sent_to_verify_and_passes_it(as_user, drive, demo_user):
    event = drive("handled")
    html = page(as_user("hangtianlu").get(f"/events/{event.pk}/"))
    assert 'name="dispatch_to" value="grid_worker"' in html and 'name="lead_department"' not in html
    worker = demo_user("gridworker")
    response = as_user("hangtianlu").post(
        f"/events/{event.pk}/act/", {"action": "dispatch", "dispatch_to": "grid_worker", "assignee": worker.pk}
    )
    assert response.status_code == 302
    assert Event.objects.get(pk=event.pk).state == "verifying"
    response = as_user("gridworker").post(f"/events/{event.pk}/act/", {"action": "verify_pass", "satisfied": "yes"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == "closed" and event.satisfied is True


def test_handling_with_an_after_photo(as_user, drive):
    event = drive("in_progress")
    response = as_user("police").post(
        f"/events/{event.pk}/act/",
        {"action": "handle", "reason": "已清运", "photo": SimpleUploadedFile("after.jpg", jpeg(), "image/jpeg")},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == "handled"
    photo = Attachment.objects.get(event=event)
    step = EventAction.objects.filter(event=event, action="handle").get()
    assert photo.kind == "after" and photo.action_id == step.pk and step.data["attachments"] == [photo.pk]
    html = page(as_user("hangtianlu").get(f"/events/{event.pk}/"))
    # Through the guarded view (events.media), never a /media/ URL.
    assert f"/events/photos/{photo.pk}/thumb/" in html and f"/events/photos/{photo.pk}/" in html
    assert photo.image.url not in html and photo.thumbnail.url not in html


def test_a_refused_action_stores_no_photo(as_user, drive):
    event = drive("dispatched")  # not signed yet: handling is not possible
    response = as_user("police").post(
        f"/events/{event.pk}/act/",
        {"action": "handle", "photo": SimpleUploadedFile("after.jpg", jpeg(), "image/jpeg")},
    )
    assert response.status_code in (403, 409)
    assert not Attachment.objects.filter(event=event).exists()


def test_a_file_that_is_not_an_image_is_refused_with_a_message(as_user, drive):
    event = drive("in_progress")
    response = as_user("police").post(
        f"/events/{event.pk}/act/",
        {"action": "handle", "photo": SimpleUploadedFile("after.jpg", b"not an image", "image/jpeg")},
    )
    assert response.status_code == 415
    assert Event.objects.get(pk=event.pk).state == "in_progress"


def test_an_extension_request_and_a_supervision(as_user, drive):
    event = drive("in_progress")
    assert (
        as_user("police")
        .post(f"/events/{event.pk}/act/", {"action": "request_extension", "days": 31, "reason": "x"})
        .status_code
        == 400
    )
    response = as_user("police").post(
        f"/events/{event.pk}/act/", {"action": "request_extension", "days": 5, "reason": "等待配件"}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.extension == "pending" and event.extension_days == 5
    response = as_user("duty").post(
        f"/events/{event.pk}/act/", {"action": "supervise", "card": "red_card", "reason": "区级督办"}
    )
    assert response.status_code == 302
    assert Event.objects.get(pk=event.pk).supervision == "red_card"


# --- navigation and language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "links", "absent"),
    [
        ("gridworker", ["/events/report/", "/events/mine/?tab=reported", "/events/mine/?tab=tasks"], []),
        ("hangtianlu", ['href="/events/"'], []),
        ("duty", ['href="/events/"'], []),
        ("police", ['href="/events/"'], ["/events/report/"]),
    ],
)
def test_home_has_the_shortcuts_of_the_role(as_user, username, links, absent):
    html = page(as_user(username).get("/"))
    shortcuts = html.split('class="shortcuts"')[1].split("</nav>")[0]
    for link in links:
        assert link in shortcuts, link
    for link in absent:
        assert link not in html, link


def test_a_volunteer_lands_on_their_own_page_with_the_report_button(as_user):
    client = as_user("volunteer")
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/force/me/")
    html = page(client.get("/force/me/"))
    assert 'href="/events/report/' in html
    assert 'href="/events/"' not in html.split("<main")[1]  # no queue of other people's events


def test_the_pages_follow_the_language(as_user, drive):
    event = drive("reported")
    client = as_user("hangtianlu")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = page(client.get(f"/events/{event.pk}/"))
    assert "Timeline" in english and "Accept" in english
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    chinese = page(client.get("/events/"))
    assert "<th>网格</th>" in chinese  # the queue's "Grid" column, translated
