"""End to end in Chromium at 375 px: a volunteer starts a patrol with a moving (simulated) position,
checks in at two places, reports an event from the patrol, and the community's patrols monitor,
open in another browser context, shows the patrol live as it moves — without a reload.

The server is uvicorn on the test database with its own publisher thread, as in
test_dashboard_live.py (whose server and sign-in this reuses)."""

from __future__ import annotations

import pytest

from .test_dashboard_live import WAIT_MS, server, sign_in  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_volunteer_patrols_and_the_community_sees_it_live(server, browser):  # noqa: F811
    from events.choices import Source
    from patrols.models import CheckIn, Patrol, PatrolPlan, PatrolReport, TrackPoint

    plan = PatrolPlan.objects.filter(assignees__username="volunteer").order_by("pk").first()
    a, b = [s.place for s in plan.stops.select_related("place").order_by("order")[:2]]

    # The community's staff watch their patrols monitor (desktop).
    monitor = sign_in(browser, server, "hangtianlu", viewport={"width": 1440, "height": 900})
    monitor.goto(f"{server.url}/patrols/monitor/")
    monitor.wait_for_function(
        "() => document.getElementById('patrol-monitor').dataset.live_ready === '1'", timeout=WAIT_MS
    )
    monitor.evaluate("window.loadedOnce = true")

    # The volunteer, on a phone, standing at the first place of the route.
    phone = sign_in(
        browser,
        server,
        "volunteer",
        viewport={"width": 375, "height": 812},
        geolocation={"latitude": a.point.y, "longitude": a.point.x, "accuracy": 10},
        permissions=["geolocation"],
        has_touch=True,
    )
    errors = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    monitor.on("pageerror", lambda exc: errors.append("monitor: " + str(exc)))
    phone.goto(f"{server.url}/patrols/")
    phone.click(f'[data-start="{plan.pk}"]')
    phone.wait_for_selector("#patrol-map", timeout=WAIT_MS)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    patrol = Patrol.objects.get(user__username="volunteer", state="active")

    # Its first position reaches the community's map live.
    def monitor_position():
        return monitor.evaluate(
            f"""() => {{
                const m = document.getElementById('patrol-monitor').wjPatrols.markers.get({patrol.pk});
                return m ? [m.getLatLng().lat, m.getLatLng().lng] : null;
            }}"""
        )

    monitor.wait_for_function(
        f"() => document.getElementById('patrol-monitor').wjPatrols.markers.has({patrol.pk})", timeout=WAIT_MS
    )
    assert monitor_position() == pytest.approx([a.point.y, a.point.x], abs=1e-6)

    # Check in at the first place by a tap.
    phone.click(f'[data-check-in="{a.pk}"]')
    phone.wait_for_selector("#route-list li.checked", timeout=WAIT_MS)

    # Walk to the second place: the track follows, the map moves.
    phone.context.set_geolocation({"latitude": b.point.y, "longitude": b.point.x, "accuracy": 10})
    monitor.wait_for_function(
        f"""() => {{
            const m = document.getElementById('patrol-monitor').wjPatrols.markers.get({patrol.pk});
            if (!m) return false;
            const at = m.getLatLng();
            return Math.abs(at.lat - {b.point.y}) < 1e-6 && Math.abs(at.lng - {b.point.x}) < 1e-6;
        }}""",
        timeout=WAIT_MS,
    )
    phone.click(f'[data-check-in="{b.pk}"]')
    phone.wait_for_function("() => document.querySelectorAll('#route-list li.checked').length === 2", timeout=WAIT_MS)

    # Report an event from the patrol: the nearest place is filled in.
    phone.click("#report-open")
    assert phone.input_value("#report-place") == str(b.pk)
    phone.select_option("#report-category", index=1)
    phone.fill("#report-description", "单元门禁损坏，夜间无法关闭")
    phone.click("#report-form button[type=submit]")
    phone.wait_for_selector("#report-done:not([hidden])", timeout=WAIT_MS)

    # What the server holds.
    assert set(CheckIn.objects.filter(patrol=patrol).values_list("place_id", flat=True)) == {a.pk, b.pk}
    assert TrackPoint.objects.filter(patrol=patrol).count() >= 2
    link = PatrolReport.objects.select_related("event").get(patrol=patrol)
    assert link.place_id == b.pk and link.event.source == Source.VOLUNTEER
    assert (link.event.location.x, link.event.location.y) == (b.point.x, b.point.y)
    patrol.refresh_from_db()
    # (The simulated position jumps between the places faster than anyone walks: no distance counted.)
    assert patrol.check_in_count == 2 and patrol.point_count >= 2
    assert monitor.evaluate("window.loadedOnce") is True  # live, never reloaded
    assert not errors
    tooltip = monitor.evaluate(
        f"document.getElementById('patrol-monitor').wjPatrols.markers.get({patrol.pk}).getTooltip().getContent()"
    )
    assert "2" in tooltip
