"""The care pages in Chromium on a 375 px phone: the grid worker opens "my persons", the person's
page (logged), records a visit with the phone's position and a photo; the department's list fits
the screen too. Nothing scrolls sideways."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import browser  # noqa: F401  (the system Chromium)
from tests.e2e.test_dashboard_live import PASSWORD, WAIT_MS, Server

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True}


@pytest.fixture
def server(tmp_path):
    from tests.events.test_engine import _committed_world

    _committed_world()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in this thread
    server = Server()
    server.env["MEDIA_ROOT"] = str(tmp_path / "media")
    server.env["LIVE_PUSH"] = "off"
    server.start()
    yield server
    server.stop()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def phone_of(browser, server, username, point):  # noqa: F811
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation={"latitude": point.y, "longitude": point.x, "accuracy": 15},
        permissions=["geolocation"],
        **PHONE,
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return page


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, page.url


def test_a_grid_worker_records_a_visit_on_the_phone(server, browser, tmp_path):  # noqa: F811
    from PIL import Image

    from accounts.models import User
    from care.models import PersonView, Visit
    from tests.care.factories import make_person

    gridworker = User.objects.get(username="gridworker")
    person = make_person(workers=[gridworker], department="police", name="张小明")
    point = person.point

    page = phone_of(browser, server, "gridworker", point)
    page.goto(f"{server.url}/care/mine/")
    fits(page)
    row = page.locator(".care-list a.event-row").first
    assert "张*明" in row.inner_text()
    row.tap()
    page.wait_for_url(f"{server.url}/care/{person.pk}/")
    fits(page)
    assert page.locator("h1").inner_text() == "张小明"
    assert PersonView.objects.filter(person=person, user=gridworker, via="page").count() == 1
    page.wait_for_function("document.querySelector('[name=lat]').value !== ''")
    assert "已获取位置" in page.inner_text("[data-care-position]")
    page.select_option("[name=method]", "in_person")
    page.check("input[name=found][value='0']")
    page.fill("[name=findings]", "家中无人，已留联系卡。")
    photo = tmp_path / "door.jpg"
    Image.new("RGB", (64, 48), "gray").save(photo, "JPEG")
    page.set_input_files("[name=photos]", str(photo))
    button = page.locator("[data-care-visit] button[type=submit]")
    box = button.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375
    with page.expect_navigation():
        button.tap()
    assert "走访已记录" in page.inner_text(".messages")
    fits(page)
    visit = Visit.objects.get(person=person)
    assert visit.found is False and visit.photos.count() == 1
    assert abs(visit.point.x - point.x) < 1e-5 and abs(visit.point.y - point.y) < 1e-5
    assert page.locator(".care-visits img.care-thumb").count() == 1

    # The responsible department's officer, on a phone too: the list fits, names masked.
    police = phone_of(browser, server, "police", point)
    police.goto(f"{server.url}/care/")
    fits(police)
    assert "张*明" in police.inner_text("main") and "张小明" not in police.inner_text("main")
