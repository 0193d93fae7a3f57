"""The grid worker's phone shows "already reported nearby" (附近已有相同上报) before sending: on the report
page at 375 px in Debian's Chromium, choosing the category of an open event a few metres away and typing
the description shows that event's number (a link to it) — not the open event of another category at
the same spot — and sending is never blocked by it."""

from __future__ import annotations

import os

import pytest
from django.contrib.gis.geos import Point

from tests.e2e.test_dashboard_live import WAIT_MS, report_from_here, server, sign_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True}


def test_the_phone_shows_the_open_event_already_reported_nearby_before_sending(server, browser, tmp_path):  # noqa: F811
    from events.models import Event, EventCategory
    from grids.models import Grid

    garbage = EventCategory.objects.get(code="sa-garbage")
    other = EventCategory.objects.filter(active=True, parent__isnull=False).exclude(pk=garbage.pk).order_by("pk")[0]
    existing = report_from_here("航天路口垃圾堆放三天没人清运", garbage.pk)
    elsewhere = report_from_here("航天路口有人占道经营", other.pk)  # the same spot, another category
    spot = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    here = Point(spot.x, spot.y + 20 / 111_195, srid=4326)  # 20 m north

    phone = sign_in(
        browser,
        server,
        "gridworker",
        geolocation={"latitude": here.y, "longitude": here.x, "accuracy": 15},
        permissions=["geolocation"],
        **PHONE,
    )
    phone.set_default_timeout(WAIT_MS)
    phone.goto(f"{server.url}/events/report/")
    phone.wait_for_function("() => document.getElementById('id_lat').value !== ''")
    assert phone.locator("#nearby").is_hidden()  # no category yet: nothing asked
    phone.fill("#category-filter", "垃圾")
    phone.select_option("#id_category", label=garbage.name)
    phone.fill("#id_description", "路口垃圾堆放好几天了没人清运")
    phone.wait_for_selector("#nearby:not([hidden])")

    notice = phone.locator("#nearby")
    assert notice.locator("h2").inner_text() == "附近已有相同上报"
    link = phone.locator(f"#nearby-list a:text-is('{existing.number}')")
    assert link.count() == 1 and link.get_attribute("href") == f"/events/{existing.pk}/"
    assert elsewhere.number not in phone.inner_text("#nearby-list")
    assert "相距 2" in phone.inner_text("#nearby-list")  # how far (about 20 m), in the page's language
    box = notice.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    if os.environ.get("SCREENSHOTS"):
        notice.scroll_into_view_if_needed()
        phone.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], "report-nearby-375.png"), full_page=True)
    assert Event.objects.count() == 2  # shown before sending: nothing was sent

    # The hint never blocks: a different problem is sent as usual.
    phone.click("#report-submit")
    phone.wait_for_selector("#report-done:not([hidden])")
    sent = Event.objects.filter(reporter__username="gridworker", description="路口垃圾堆放好几天了没人清运")
    assert sent.count() == 1
