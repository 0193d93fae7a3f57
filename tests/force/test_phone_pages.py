"""On a 375 px phone in Chromium: a grid worker makes an invitation, a new volunteer opens its link,
signs up with their real name, signs in and lands on their page; nothing scrolls sideways."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import browser  # noqa: F401 - the system Chromium
from tests.e2e.test_dashboard_live import PASSWORD, WAIT_MS, Server

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True}


@pytest.fixture
def server():
    from tests.events.test_engine import _committed_world

    _committed_world()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in this thread
    server = Server()
    server.env["LIVE_PUSH"] = "off"
    server.start()
    yield server
    server.stop()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def phone(chromium):
    page = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE).new_page()
    page.set_default_timeout(WAIT_MS)
    return page


def sign_in(page, server, username, password):
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click(".login-card button[type=submit]")


def no_sideways_scroll(page):
    page.wait_for_load_state("load")  # measured with the stylesheet applied, not before
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, page.url


def test_invite_sign_up_and_land_on_the_volunteer_page(server, browser):  # noqa: F811
    from tests.force.factories import valid_id

    worker = phone(browser)
    sign_in(worker, server, "gridworker", PASSWORD)
    worker.wait_for_url(f"{server.url}/")
    worker.goto(f"{server.url}/force/invitations/")
    worker.select_option("#id_grid", index=1)
    worker.click("form.card button[type=submit]")
    link = worker.locator("[data-invitation-link]").first
    no_sideways_scroll(worker)
    url = link.get_attribute("href")

    newcomer = phone(browser)
    newcomer.goto(url)
    assert "加入红袖套志愿者" in newcomer.content()
    no_sideways_scroll(newcomer)
    newcomer.fill("#id_real_name", "姚大爷")
    newcomer.fill("#id_phone", "13688886666")
    newcomer.fill("#id_id_number", valid_id("19520303"))
    newcomer.select_option("#id_category", "retired_cadre")
    newcomer.select_option("#id_organization", index=1)
    newcomer.fill("#id_password", "Red#Armband2026")
    newcomer.click("form.card button[type=submit]")
    assert "欢迎" in newcomer.locator("h1").inner_text()
    assert "*" * 11 in newcomer.content()  # the ID number shown masked

    sign_in(newcomer, server, "13688886666", "Red#Armband2026")
    newcomer.wait_for_url(f"{server.url}/force/me/")
    assert newcomer.locator("[data-points-total]").inner_text() == "0"
    assert "退休干部/党员" in newcomer.content()
    no_sideways_scroll(newcomer)
