"""The camera form in Debian's Chromium on a 375 px phone: a town's staff member adds a camera (code,
name, network, a tap on the map places it, the coordinates typed in correct it), sees it in the list,
and fixes a bad code that the page marks at its field. The platform runs in uvicorn on the test
database; what the test made is removed at its end."""

from __future__ import annotations

import os

import pytest
from django.db import connections

from tests.processes import PASSWORD, end, free_port, platform_env, uvicorn

from .conftest import CHROMIUM

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium (make test installs it)"),
    # Committed, so that the server process reads it (pytest-django runs these after the others).
    pytest.mark.django_db(transaction=True),
]

PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True}
WAIT_MS = 20_000
NAME = "端到端测试球机"
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")  # set to keep PNGs of the form (375 and 1440 px)


@pytest.fixture
def web(transactional_db, django_db_blocker, tmp_path):
    from tests.events.test_engine import _committed_world
    from video.models import Camera

    with django_db_blocker.unblock():
        _committed_world()
        port = free_port()
        process = uvicorn(port, platform_env(LIVE_PUSH="off"), tmp_path / "uvicorn.log")
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            end(process)
            Camera.objects.filter(name=NAME).delete()
            connections.close_all()


def sign_in(chromium, base: str, username: str, options: dict):
    page = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def test_a_town_adds_a_camera_on_a_phone_and_finds_it_in_the_list(web, chromium, django_db_blocker):
    from grids.models import Grid
    from video.domain import gbcode
    from video.models import Camera

    with django_db_blocker.unblock():
        grid = Grid.objects.select_related("center").get(code="510115001001001")
        point = grid.boundary.point_on_surface
    code = gbcode.make(civil="51011500", serial=987654, type="131")

    page = sign_in(chromium, web, "liucheng", PHONE)
    page.goto(f"{web}/video/")
    page.click("#camera-new")
    page.wait_for_url("**/video/cameras/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing scrolls sideways
    page.fill("#id_code", "5101150")  # too short: marked at its field, nothing written
    page.fill("#id_name", NAME)
    page.select_option("#id_network", "xueliang")
    page.locator("#camera-form-map").tap()  # the pin, somewhere in the town …
    assert page.input_value("#id_lat") != ""
    page.fill("#id_lat", f"{point.y:.6f}")  # … then exactly where the camera hangs
    page.fill("#id_lng", f"{point.x:.6f}")
    page.fill("#id_address", "航天路与光华大道路口")
    page.check("#id_ptz")
    with page.expect_navigation():
        page.click("#camera-submit")
    error = page.locator("#id_code ~ .error")
    assert error.count() == 1 and "20" in error.inner_text()
    assert page.input_value("#id_name") == NAME  # what was typed is kept
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/camera-form-375-error.png", full_page=True)
    page.fill("#id_code", code)
    with page.expect_navigation():
        page.click("#camera-submit")
    page.wait_for_url("**/video/?q=*")
    row = page.locator(".camera-table tbody tr", has_text=NAME)
    assert row.count() == 1
    assert code in row.inner_text() and "航天路社区" in row.inner_text()
    assert "已添加" in page.inner_text(".messages")
    with django_db_blocker.unblock():
        camera = Camera.objects.get(code=code)
        assert camera.grid_id == grid.pk and camera.ptz
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/camera-list-375.png", full_page=True)
        page.goto(f"{web}/video/cameras/{camera.pk}/edit/")
        page.screenshot(path=f"{SCREENSHOTS}/camera-edit-375.png", full_page=True)
        wide = sign_in(chromium, web, "liucheng", {"viewport": {"width": 1440, "height": 900}})
        wide.goto(f"{web}/video/cameras/{camera.pk}/edit/")
        wide.screenshot(path=f"{SCREENSHOTS}/camera-edit-1440.png", full_page=True)
        wide.goto(f"{web}/video/?q={code}")
        wide.screenshot(path=f"{SCREENSHOTS}/camera-list-1440.png", full_page=True)
        wide.context.close()
    page.context.close()
