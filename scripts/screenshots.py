"""Screenshots of the main pages at phone and desktop sizes, as each demo role sees them.

Usage: python scripts/screenshots.py [--dashboards-only] [base_url] [out_dir]
(needs a running server and /usr/bin/chromium)

The event pages need events: a few demo events are reported through the API with fixed client_ids
(so a second run finds the same ones instead of adding more) and moved along the workflow once.
The report page is driven as a grid worker does it: GPS, a photo, send; then once more offline,
to show the outbox, which sends the report when the network is back.
"""

import io
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

DASHBOARDS_ONLY = "--dashboards-only" in sys.argv
ARGS = [a for a in sys.argv[1:] if a != "--dashboards-only"]
BASE = ARGS[0] if ARGS else "http://127.0.0.1:8000"
OUT = Path(ARGS[1] if len(ARGS) > 1 else "screenshots")
PASSWORD = "Wenjiang@2026"
SIZES = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1440, "height": 900}}
PAGES = [
    ("duty", ["/", "/map/"]),
    ("liucheng", ["/"]),
    ("hangtianlu", ["/", "/map/"]),
    ("gridworker", ["/", "/map/"]),
    ("volunteer", ["/"]),
    ("police", ["/", "/care/"]),
    # The grid force at work: patrols, the special populations, volunteers.
    ("gridworker", ["/patrols/", "/care/mine/", "/force/invitations/"]),
    ("volunteer", ["/force/me/", "/patrols/", "/force/rankings/"]),
    ("hangtianlu", ["/patrols/monitor/", "/force/performance/", "/force/duties/"]),
    ("admin", ["/care/", "/care/views/"]),
]
# Event pages, per user and size; "{event}" is the richest demo event.
EVENT_PAGES = {
    "phone": [
        ("gridworker", ["/events/mine/", "/events/mine/?tab=tasks"]),
        ("hangtianlu", ["/events/", "/events/{event}/"]),
        ("police", ["/events/{ticket}/"]),
    ],
    "desktop": [
        ("hangtianlu", ["/events/", "/events/?holder=", "/events/{event}/"]),
        ("police", ["/events/", "/events/{ticket}/", "/events/{handled}/"]),
    ],
}
# Dispute pages, per user and size; "{dispute}" is a demo case of 航天路社区 that the community's mediator holds.
DISPUTE_PAGES = {
    "phone": [
        ("gridworker", ["/disputes/new/"]),
        ("tiaojie", ["/disputes/workbench/", "/disputes/{dispute}/"]),
    ],
    "desktop": [
        ("hangtianlu", ["/disputes/", "/disputes/new/"]),
        ("tiaojie", ["/disputes/workbench/", "/disputes/{dispute}/"]),
        ("liucheng", ["/disputes/stats/", "/disputes/ledger/"]),
    ],
}
# The live dashboard at a phone's, a desk's and the command hall's wall's size (1920×1080, nothing scrolls).
DASHBOARD_SIZES = {
    "phone": {"width": 375, "height": 812},
    "desktop": {"width": 1440, "height": 900},
    "wall": {"width": 1920, "height": 1080},
}
DASHBOARD_USERS = ["duty", "liucheng"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GPS = {"latitude": 30.70, "longitude": 103.83, "accuracy": 25}

# (client_id, reporter, category code, lat, lng, description, address, urgent, steps)
DEMO_EVENTS = [
    (
        "5c1e0000-0000-4000-8000-00000000e001",
        "gridworker",
        "sa-garbage",
        30.707804,
        103.809212,
        "光华大道旁绿化带内建筑垃圾堆放约三立方米，已三天无人清运，夏季有异味，居民多次反映。",
        "航天路社区 光华大道三段 1288 号旁",
        False,
        [
            ("hangtianlu", {"action": "accept"}),
            ("hangtianlu", {"action": "dispatch", "lead_department": "urban-management", "departments": ["ecology"]}),
            ("chengguan", {"action": "sign"}),
            ("duty", {"action": "urge", "reason": "请加快清运"}),
        ],
    ),
    (
        "5c1e0000-0000-4000-8000-00000000e002",
        "gridworker",
        "fs-ebike",
        30.709333,
        103.820422,
        "3 栋 2 单元楼道内有电动车飞线充电，存在火灾隐患。",
        "航天路社区 锦绣苑 3 栋 2 单元",
        True,
        [("hangtianlu", {"action": "accept"}), ("hangtianlu", {"action": "dispatch", "lead_department": "fire"})],
    ),
    (
        "5c1e0000-0000-4000-8000-00000000e003",
        "volunteer",
        "di-neighbour",
        30.702592,
        103.811004,
        "楼上装修噪音扰民，双方发生争执，需要社区调解。",
        "航天路社区 和盛家园 7 栋",
        False,
        [],
    ),
    (
        "5c1e0000-0000-4000-8000-00000000e004",
        "gridworker",
        "rt-road-damage",
        30.709728,
        103.814713,
        "人行道地砖大面积松动破损，老人行走易绊倒。",
        "航天路 56 号门前",
        False,
        [("hangtianlu", {"action": "accept"}), ("hangtianlu", {"action": "escalate", "reason": "需街道协调住建部门"})],
    ),
    (
        "5c1e0000-0000-4000-8000-00000000e005",
        "gridworker",
        "ps-suspicious",
        30.704962,
        103.807066,
        "地铁站 B 口附近有可疑包裹无人认领。",
        "航天路地铁站 B 口",
        True,
        [
            ("hangtianlu", {"action": "accept"}),
            ("hangtianlu", {"action": "dispatch", "lead_department": "police"}),
            ("police", {"action": "sign"}),
            ("police", {"action": "handle", "reason": "经查为遗失物品，已联系失主领回。"}),
        ],
    ),
    (
        "5c1e0000-0000-4000-8000-00000000e006",
        "volunteer",
        "ps-gathering",
        30.707804,
        103.809212,
        "夜间有人在小区广场聚集饮酒喧哗，已持续一周。",
        "航天路社区 光华苑小区中心广场",
        False,
        [
            ("hangtianlu", {"action": "accept"}),
            ("hangtianlu", {"action": "dispatch", "lead_department": "police", "departments": ["urban-management"]}),
        ],
    ),
]


def jpeg(color=(60, 130, 90)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (2400, 1800), color)
    draw = ImageDraw.Draw(image)
    for i in range(0, 2400, 160):
        draw.rectangle([i, 1200, i + 80, 1800], fill=(120, 110, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def ensure_demo_events(playwright) -> dict[str, int]:
    """Reports the demo events (idempotent by client_id) and, when new, drives them. Returns the ids
    of the richest one ("event"), of one handled with photos ("handled") and of a police ticket ("ticket")."""
    api = playwright.request.new_context(base_url=BASE)
    tokens: dict[str, str] = {}

    def headers(username):
        if username not in tokens:
            response = api.post("/api/auth/token/", data={"username": username, "password": PASSWORD})
            assert response.ok, response.text()
            tokens[username] = response.json()["token"]
        return {"Authorization": f"Token {tokens[username]}", "Accept": "application/json"}

    departments = {
        d["code"]: d["id"]
        for d in api.get("/api/departments/?page_size=100", headers=headers("duty")).json()["results"]
    }
    categories = {c["code"]: c["id"] for c in api.get("/api/event-categories/", headers=headers("duty")).json()}
    ids = []
    for client_id, reporter, category, lat, lng, text, address, urgent, steps in DEMO_EVENTS:
        body = {
            "category": categories[category],
            "description": text,
            "lat": lat,
            "lng": lng,
            "address": address,
            "urgent": urgent,
            "client_id": client_id,
        }
        response = api.post("/api/events/", data=body, headers=headers(reporter))
        assert response.status in (200, 201), response.text()
        event = response.json()
        ids.append(event["id"])
        if response.status == 200:
            continue  # made by an earlier run
        api.post(
            f"/api/events/{event['id']}/attachments/",
            headers=headers(reporter),
            multipart={"image": {"name": "p.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}, "kind": "report"},
        )
        for username, action in steps:
            action = dict(action)
            if "lead_department" in action:
                action["lead_department"] = departments[action["lead_department"]]
                action["departments"] = [departments[c] for c in action.get("departments", [])]
            if action["action"] == "handle":
                upload = api.post(
                    f"/api/events/{event['id']}/attachments/",
                    headers=headers(username),
                    multipart={
                        "image": {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg((150, 150, 160))},
                        "kind": "after",
                    },
                )
                action["attachments"] = [upload.json()[0]["id"]]
            result = api.post(f"/api/events/{event['id']}/actions/", data=action, headers=headers(username))
            assert result.ok, (action, result.status, result.text())
    api.dispose()
    return {"event": ids[0], "handled": ids[4], "ticket": ids[5]}


def demo_dispute(playwright) -> int:
    """A case of the community mediator's (the demo year made them), an agreed one if there is one."""
    api = playwright.request.new_context(base_url=BASE)
    response = api.post("/api/auth/token/", data={"username": "tiaojie", "password": PASSWORD})
    assert response.ok, response.text()
    headers = {"Authorization": f"Token {response.json()['token']}", "Accept": "application/json"}
    for state in ("agreed", "mediating", ""):
        rows = api.get(f"/api/disputes/?mine=true&state={state}", headers=headers).json().get("results", [])
        if rows:
            return rows[0]["id"]
    raise SystemExit("no demo dispute for tiaojie: run make run (seed_demo) first")


def login(page, username):
    page.context.clear_cookies()
    page.goto(f"{BASE}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(f"{BASE}/")


def report_flow(browser, photo: Path) -> None:
    """The grid worker's report page on a phone: GPS granted, a photo, sent; then once offline."""
    context = browser.new_context(
        viewport=SIZES["phone"],
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=GPS,
        permissions=["geolocation"],
        has_touch=True,
    )
    page = context.new_page()

    def shot(name, full_page=True):
        if full_page:  # the sticky top bar would be drawn where the page was scrolled to
            page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(600)
        page.screenshot(path=OUT / name, full_page=full_page)

    login(page, "gridworker")
    page.goto(f"{BASE}/events/report/")
    page.wait_for_function("() => document.getElementById('id_lat').value !== ''", timeout=20000)
    shot("gridworker-report-phone.png")

    def fill(client_id, text, urgent=False):
        page.fill("#category-filter", "垃圾")
        page.select_option("#id_category", label="垃圾乱堆乱放")
        page.fill("#id_description", text)
        page.set_input_files("#id_photos", str(photo))
        page.wait_for_selector(".photo-preview img")
        page.fill("#id_address", "天乡路 18 号旁")
        if urgent:
            page.check("#id_urgent", force=True)
        page.evaluate(f"crypto.randomUUID = () => '{client_id}'")  # the same report on every run

    fill("5c1e0000-0000-4000-8000-00000000f001", "小区门口垃圾桶满溢，垃圾散落路面。")
    shot("gridworker-report-filled-phone.png")
    page.click("#report-submit")
    page.wait_for_selector("#report-done:not([hidden])", timeout=20000)
    shot("gridworker-report-sent-phone.png", full_page=False)

    page.click("#report-another")
    fill("5c1e0000-0000-4000-8000-00000000f002", "路灯杆倾斜，有倒伏危险。", urgent=True)
    context.set_offline(True)
    page.click("#report-submit")
    page.wait_for_selector("#outbox:not([hidden])", timeout=20000)
    shot("gridworker-report-outbox-phone.png")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#outbox[hidden]", state="attached", timeout=20000)
    page.wait_for_selector("#report-done:not([hidden])", timeout=20000)
    shot("gridworker-report-outbox-sent-phone.png", full_page=False)
    context.close()


def dashboards(browser) -> None:
    """The dashboard once it has its snapshot, its map boundaries and its charts; the wall must fit."""
    for size_name, viewport in DASHBOARD_SIZES.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = context.new_page()
        for username in DASHBOARD_USERS:
            login(page, username)
            path = "/dashboard/wall/" if size_name == "wall" else "/dashboard/"
            page.goto(BASE + path)
            page.wait_for_function("() => window.dashboard && window.dashboard.counts !== null", timeout=30000)
            page.wait_for_timeout(2500)  # boundaries, chart animations
            if size_name == "wall":
                overflow = page.evaluate(
                    "(d => [d.scrollWidth - innerWidth, d.scrollHeight - innerHeight])(document.documentElement)"
                )
                if overflow != [0, 0]:
                    print(f"the wall scrolls for {username}: {overflow}", file=sys.stderr)
            page.screenshot(path=OUT / f"{username}-dashboard-{size_name}.png", full_page=size_name != "wall")
        context.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    photo = OUT / "_photo.jpg"
    photo.write_bytes(jpeg((90, 120, 160)))
    with sync_playwright() as p:
        if DASHBOARDS_ONLY:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            dashboards(browser)
            browser.close()
            photo.unlink()
            return
        events = ensure_demo_events(p)
        dispute = demo_dispute(p)
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        report_flow(browser, photo)
        dashboards(browser)
        for size_name, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
            page = context.new_page()
            page.goto(f"{BASE}/accounts/login/")
            page.screenshot(path=OUT / f"login-{size_name}.png")
            for username, paths in PAGES:
                login(page, username)
                for path in paths:
                    page.goto(BASE + path)
                    if path == "/map/":
                        page.wait_for_function(
                            "() => document.getElementById('map-status').textContent.match(/\\d/)", timeout=20000
                        )
                    name = path.strip("/") or "home"
                    page.screenshot(path=OUT / f"{username}-{name}-{size_name}.png", full_page=path != "/map/")
            for username, paths in EVENT_PAGES[size_name]:
                login(page, username)
                for path in paths:
                    page.goto(BASE + path.format(**events))
                    page.wait_for_timeout(300)
                    name = path.format(event="detail", ticket="ticket", handled="handled").strip("/").replace("/", "-")
                    name = name.replace("?", "-").replace("=", "")
                    page.screenshot(path=OUT / f"{username}-{name}-{size_name}.png", full_page=True)
            for username, paths in DISPUTE_PAGES[size_name]:
                login(page, username)
                for path in paths:
                    page.goto(BASE + path.format(dispute=dispute))
                    page.wait_for_timeout(300)
                    name = path.format(dispute="detail").strip("/").replace("/", "-")
                    page.screenshot(path=OUT / f"{username}-{name}-{size_name}.png", full_page=True)
            context.close()
        browser.close()
    photo.unlink()


if __name__ == "__main__":
    main()
