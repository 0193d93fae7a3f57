"""The Content-Security-Policy holds in a real browser: each main page, opened in Chromium by users of
several roles, reports no `securitypolicyviolation` and logs no CSP error (charts hovered, so their
tooltips draw too)."""

from __future__ import annotations

import pytest

from .test_dashboard_live import PASSWORD, WAIT_MS, report_from_here, server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

# Collects the page's violations across its life; read after each page.
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""

PAGES = ["/", "/dashboard/", "/dashboard/wall/", "/map/", "/events/", "/events/{event}/", "/events/report/",
         "/events/mine/", "/inbox/", "/api/docs/", "/patrols/", "/patrols/monitor/", "/care/mine/", "/care/",
         "/force/me/", "/force/performance/", "/video/", "/video/wall/", "/video/tours/"]  # fmt: skip
ROLES = ["duty", "liucheng", "hangtianlu", "gridworker", "police", "volunteer"]


def hover_charts(page) -> None:
    """Moves the mouse over every chart, so that their tooltips render."""
    for box in [c.bounding_box() for c in page.query_selector_all("canvas")]:
        if box and box["width"] > 50 and box["height"] > 50:
            for fraction in (0.2, 0.5, 0.8):
                page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.6)
                page.wait_for_timeout(150)


def _console(message, who: str, into: list[str]) -> None:
    if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
        into.append(f"{who} console: {message.text}")


def test_the_main_pages_break_no_rule_of_the_content_security_policy(server, browser):  # noqa: F811
    from events.models import EventCategory

    event = report_from_here("CSP 测试：路灯损坏", EventCategory.objects.get(code="sa-garbage").pk)
    violations: list[str] = []
    errors: list[str] = []
    opened = 0
    for username in ROLES:
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1440, "height": 900}
        )
        context.add_init_script(COLLECT)
        page = context.new_page()
        page.on("console", lambda message, who=username, into=violations: _console(message, who, into))
        # A script error (a chart's tooltip formatter, say) would hide behind "no violation".
        page.on("pageerror", lambda error, who=username, into=errors: into.append(f"{who}: {error}"))
        page.goto(f"{server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click(".login-card button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)  # the role's landing page (volunteers: /force/me/)
        for path in PAGES:
            url = f"{server.url}{path.format(event=event.pk)}"
            response = page.goto(url)
            page.wait_for_load_state("load")
            if path.startswith("/dashboard/") and response.status == 200:
                page.wait_for_function("() => window.dashboard && window.dashboard.state === 'live'", timeout=WAIT_MS)
            if path == "/api/docs/":
                page.wait_for_selector(".swagger-ui .info", timeout=WAIT_MS)
            page.wait_for_timeout(300)  # late scripts: sockets, maps, charts
            hover_charts(page)
            violations += [f"{username} {path}: {v}" for v in page.evaluate("window.__csp")]
            opened += 1
        context.close()
    assert opened == len(ROLES) * len(PAGES)
    assert violations == []
    assert errors == []
