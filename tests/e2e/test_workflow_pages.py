"""Every workflow action a user can take, clicked on the event page in Chromium (not called in the
service): the community center's staff and the town at desktop size, the police clerk and the grid
worker on 375 px wide phones. One browser, one context per user (signed in once).

The set of actions clicked is compared with the workflow's actions: a new action that no test clicks
fails `test_every_action_of_the_event_page_is_clicked_in_a_browser`.
"""

from __future__ import annotations

import io
import os

import pytest

from tests.e2e.test_dashboard_live import PASSWORD, WAIT_MS, Server

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def server(settings, tmp_path):
    from tests.events.test_engine import _committed_world

    _committed_world()
    settings.LIVE_PUSH = "off"
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in this thread
    server = Server()
    server.env["MEDIA_ROOT"] = str(tmp_path / "media")  # the handling photo lands here
    server.env["LIVE_PUSH"] = "off"
    server.start()
    yield server
    server.stop()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class People:
    """One signed-in page per user, made when first needed."""

    def __init__(self, browser, server) -> None:
        self.browser, self.server, self.pages, self.clicked = browser, server, {}, []

    def page(self, username: str):
        if username not in self.pages:
            options = PHONE if username in ("police", "gridworker") else DESKTOP
            context = self.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of danger actions
            page.goto(f"{self.server.url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click(".login-card button[type=submit]")
            page.wait_for_url(
                lambda url: "/accounts/login/" not in url
            )  # the role's landing page (volunteers: /force/me/)
            self.pages[username] = page
        return self.pages[username]

    def act(self, username: str, event, action: str, fill=None, expect_state: str | None = None):
        """Opens the event's page as `username`, opens the action's form, fills it and submits it
        with a click; checks that the step reached the timeline, by that user."""
        from events.models import Event, EventAction

        page = self.page(username)
        page.goto(f"{self.server.url}/events/{event.pk}/")
        selector = f'#actions form:has(input[name="action"][value="{action}"])'
        assert page.locator(selector).count() == 1, f"{username} is not offered {action} on {event.number}"
        details = page.locator(f'#actions details:has(input[name="action"][value="{action}"])')
        if details.count():
            details.locator("summary").click()
        form = page.locator(selector)
        if fill:
            fill(form)
        reason = form.locator("textarea[name=reason]")
        if reason.count():
            reason.fill(f"端到端：{action}")
        button = form.locator("button[type=submit]")
        if username in ("police", "gridworker"):  # within the phone's width, no sideways scrolling
            box = button.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375, (action, box)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
        before = EventAction.objects.filter(event_id=event.pk).count()
        with page.expect_navigation():
            button.click()
        last = EventAction.objects.filter(event_id=event.pk).order_by("-id").select_related("actor").first()
        assert EventAction.objects.filter(event_id=event.pk).count() == before + 1, page.inner_text("main")[:800]
        assert (last.action, last.actor.username) == (action, username)
        self.clicked.append(action)
        fresh = Event.objects.get(pk=event.pk)
        if expect_state:
            assert fresh.state == expect_state, (action, fresh.state)
        return fresh


def reported(description: str):
    from events.models import EventCategory
    from tests.e2e.test_dashboard_live import report_from_here

    return report_from_here(f"端到端工作流：{description}", EventCategory.objects.get(code="sa-garbage").pk)


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_every_action_of_the_event_page_is_clicked_in_a_browser(server, browser):
    from accounts.models import User
    from events.choices import Action
    from events.models import Attachment, EventAction, EventAssignment
    from events.services import event_transition
    from grids.models import Department

    people = People(browser, server)
    police = Department.objects.get(code="police")

    def to_police(form):
        form.locator('input[name="dispatch_to"][value="department"]').check()
        form.locator('select[name="lead_department"]').select_option(str(police.pk))

    def to_the_grid_worker(form):
        worker = User.objects.get(username="gridworker")
        form.locator('select[name="assignee"]').select_option(str(worker.pk))

    def days(form):
        form.locator('input[name="days"]').fill("3")

    def yellow_card(form):
        form.locator('input[name="card"][value="yellow_card"]').check()

    def satisfied(form):
        form.locator('input[name="satisfied"][value="yes"]').check()

    def photos(form):
        form.locator('input[name="photos"]').set_input_files(
            [{"name": f"scene-{n}.png", "mimeType": "image/png", "buffer": png()} for n in (1, 2)]
        )

    def photo(form):
        form.locator('input[name="photo"]').set_input_files(
            {"name": "after.png", "mimeType": "image/png", "buffer": png()}
        )

    # The main line: accepted, supervised from above, dispatched to the police, extensions asked for
    # (approved, then refused), a reply, signed, photos from the scene, handled with a photo, verified
    # on site by the grid worker (failed, then passed after rework), closed, reopened.
    main = reported("主线")
    main = people.act("hangtianlu", main, "accept", expect_state="accepted")
    people.act("liucheng", main, "urge")
    people.act("liucheng", main, "supervise", fill=yellow_card)
    main = people.act("hangtianlu", main, "dispatch", fill=to_police, expect_state="dispatched")
    people.act("police", main, "request_extension", fill=days)
    people.act("hangtianlu", main, "approve_extension")
    people.act("police", main, "reply")
    people.act("police", main, "request_extension", fill=days)
    people.act("hangtianlu", main, "refuse_extension")
    main = people.act("police", main, "sign", expect_state="in_progress")
    main = people.act("police", main, "attach", fill=photos, expect_state="in_progress")  # from the scene
    assert Attachment.objects.filter(event_id=main.pk).count() == 2
    main = people.act("police", main, "handle", fill=photo, expect_state="handled")
    assert Attachment.objects.filter(event_id=main.pk).count() == 3
    main = people.act("hangtianlu", main, "dispatch", fill=to_the_grid_worker, expect_state="verifying")
    main = people.act("gridworker", main, "verify_fail", expect_state="in_progress")
    main = people.act("police", main, "handle", expect_state="handled")
    main = people.act("hangtianlu", main, "dispatch", fill=to_the_grid_worker, expect_state="verifying")
    main = people.act("gridworker", main, "verify_pass", fill=satisfied, expect_state="closed")
    main = people.act("hangtianlu", main, "reopen", expect_state="accepted")

    # Rejected; merged into the main line's event (by its number, as people quote it).
    people.act("hangtianlu", reported("不属实"), "reject", expect_state="rejected")
    people.act(
        "hangtianlu",
        reported("重复上报"),
        "merge",
        fill=lambda form: form.locator('input[name="merge_into"]').fill(main.number),
        expect_state="merged",
    )

    # Handled on the spot by the grid worker who reported it, on the phone; checked by the center.
    spot = people.act("gridworker", reported("即报即办"), "self_handle", expect_state="self_handled")
    people.act("hangtianlu", spot, "verify_pass", fill=satisfied, expect_state="closed")

    # Suspended and resumed; escalated by hand to the town.
    paused = people.act("hangtianlu", reported("暂停"), "accept")
    paused = people.act("hangtianlu", paused, "suspend", expect_state="suspended")
    people.act("hangtianlu", paused, "resume", expect_state="accepted")
    up = people.act("hangtianlu", reported("上报街道"), "accept")
    up = people.act("hangtianlu", up, "escalate")
    assert up.level == "town"

    # Returned by the police from the phone.
    back = people.act("hangtianlu", reported("退回"), "accept")
    back = people.act("hangtianlu", back, "dispatch", fill=to_police, expect_state="dispatched")
    people.act("police", back, "return", expect_state="accepted")
    assert not EventAssignment.objects.filter(event_id=back.pk, active=True).exists()

    # Intake's, the engine's and the hotline's own (the rating) are never offered on the page.
    offered = {a.value for a in Action} - {Action.REPORT, Action.WARN, Action.RATE}
    assert set(people.clicked) == offered, offered - set(people.clicked)

    # A form posted after the event moved on (another tab, another user; one test, so that the
    # district is loaded once): the page answers 409 with the reason, and the timeline is unchanged.
    stale = reported("过期的页面")
    page = people.page("hangtianlu")
    page.goto(f"{server.url}/events/{stale.pk}/")
    event_transition(event_id=stale.pk, action="accept", actor=User.objects.get(username="hangtianlu"))
    before = EventAction.objects.filter(event_id=stale.pk).count()
    form = page.locator('#actions form:has(input[name="action"][value="reject"])')
    page.locator('#actions details:has(input[name="action"][value="reject"]) summary').click()
    form.locator("textarea[name=reason]").fill("端到端：过期页面上的驳回")
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        form.locator("button[type=submit]").click()
    assert response.value.status == 409
    page.wait_for_load_state()
    assert EventAction.objects.filter(event_id=stale.pk).count() == before
    assert page.locator(".error, .errorlist, .messages .error, [role=alert]").count() >= 1
