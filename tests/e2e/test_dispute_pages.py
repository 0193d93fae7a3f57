"""A dispute from the intake form to the signed-ready agreement, clicked in Chromium: the community
mediator takes it in on the page (GPS pin, parties added and removed), accepts it, records a session
and the agreement with an obligation, generates the agreement and downloads its PDF, whose text
(read back with pypdf) holds the parties, the terms and the performance time limit. The intake form
is also opened on a 375 px phone as a grid worker: nothing scrolls sideways."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta

import pytest

from tests.e2e.test_dashboard_live import PASSWORD, WAIT_MS, Server

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


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


def signed_in(browser, server, username, options, point):
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation={"latitude": point.y, "longitude": point.x, "accuracy": 20},
        permissions=["geolocation"],
        accept_downloads=True,
        **options,
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # the role's landing page (volunteers: /force/me/)
    return page


def open_action(page, action: str):
    page.locator(f'#actions details:has(input[name="action"][value="{action}"]) summary').click()
    return page.locator(f'#actions form:has(input[name="action"][value="{action}"])')


def submit(page, form):
    with page.expect_navigation():
        form.locator("button[type=submit]").last.click()
    assert page.locator(".messages .error").count() == 0, page.inner_text(".messages")


def test_a_dispute_from_intake_to_the_agreement_pdf(server, browser):
    from django.utils import timezone

    from disputes.models import Dispute, DisputeType
    from grids.models import Grid

    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    kind = DisputeType.objects.get(code="neighbour-nuisance")

    # A grid worker's phone: the form fits the screen, the GPS places the pin.
    phone = signed_in(browser, server, "gridworker", PHONE, point)
    phone.goto(f"{server.url}/disputes/new/")
    phone.wait_for_function("() => document.getElementById('id_lat').value !== ''")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    values = phone.eval_on_selector_all("#id_intake option", "options => options.map(o => o.value).filter(Boolean)")
    assert values == ["grid", "sweep"]

    page = signed_in(browser, server, "tiaojie", DESKTOP, point)
    page.goto(f"{server.url}/disputes/new/")
    page.wait_for_function("() => document.getElementById('id_lat').value !== ''")  # the GPS pin
    page.select_option("#id_type", str(kind.pk))
    page.fill("#id_title", "端到端：楼上漏水纠纷")
    page.fill("#id_facts", "楼上卫生间漏水，楼下天花板受损，双方就维修费用协商未果。")
    page.select_option("#id_intake", "walk_in")
    page.fill("#party-0-name", "李秀英")
    page.fill("#party-0-phone", "13800001111")
    page.fill("#party-1-name", "王建国")
    page.click("#party-add")  # a third row, then removed again
    assert page.locator("[data-party-row]").count() == 3
    page.locator("[data-party-row]").nth(2).locator("[data-party-remove]").click()
    assert page.locator("[data-party-row]").count() == 2
    with page.expect_navigation():
        page.click("#dispute-submit")
    dispute = Dispute.objects.get(title="端到端：楼上漏水纠纷")
    assert page.url.endswith(f"/disputes/{dispute.pk}/")
    assert dispute.number in page.inner_text(".case-number")
    assert sorted(dispute.parties.values_list("name", flat=True)) == ["李秀英", "王建国"]

    form = open_action(page, "accept")
    form.locator('input[name="consent"]').check()
    submit(page, form)
    assert Dispute.objects.get(pk=dispute.pk).state == "mediating"

    form = open_action(page, "session")
    started = timezone.localtime() - timedelta(hours=2)
    form.locator('input[name="starts_at"]').fill(started.strftime("%Y-%m-%dT%H:%M"))
    form.locator('input[name="place"]').fill("航天路社区调解室")
    form.locator('textarea[name="notes"]').fill("双方陈述意见，同意由被申请人承担维修费用。")
    submit(page, form)
    assert dispute.sessions.filter(held=True).count() == 1

    due = timezone.localdate() + timedelta(days=10)
    form = open_action(page, "agree")
    form.locator('textarea[name="terms"]').fill("被申请人王建国于期限内向申请人李秀英支付维修费2000元。")
    form.locator('input[name="performance_method"]').fill("银行转账")
    form.locator('input[name="performance_due"]').fill(due.isoformat())
    form.locator("#obligation-add").click()
    form.locator('input[name$="-description"]').fill("支付维修费2000元")
    form.locator('input[name$="-due_date"]').fill(due.isoformat())
    submit(page, form)
    fresh = Dispute.objects.get(pk=dispute.pk)
    assert fresh.state == "agreed" and fresh.obligations.count() == 1

    pytest.importorskip("disputes.documents")  # the PDF and Word rendering (branch docs)
    from pypdf import PdfReader

    with page.expect_navigation():
        page.click('button[data-generate="agreement"]')
    link = page.locator('a[data-download="pdf"]').first
    with page.expect_download() as download:
        link.click()
    body = open(download.value.path(), "rb").read()
    assert body.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(body)).pages
    text = re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in pages).replace("\x00", ""))
    assert "李秀英" in text and "王建国" in text
    assert "支付维修费2000元" in text
    dates = {due.isoformat(), f"{due.year}年{due.month}月{due.day}日", f"{due.year}年{due.month:02d}月{due.day:02d}日"}
    assert any(d in text for d in dates), text[:2000]
