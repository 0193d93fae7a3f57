"""Screenshots of the main pages at phone and desktop sizes, as each demo role sees them.

Usage: python scripts/screenshots.py [base_url] [out_dir]   (needs a running server and /usr/bin/chromium)
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
PASSWORD = "Wenjiang@2026"
SIZES = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1440, "height": 900}}
PAGES = [
    ("duty", ["/", "/map/"]),
    ("liucheng", ["/"]),
    ("hangtianlu", ["/", "/map/"]),
    ("gridworker", ["/", "/map/"]),
    ("volunteer", ["/"]),
    ("police", ["/"]),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for size_name, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{BASE}/accounts/login/")
            page.screenshot(path=OUT / f"login-{size_name}.png")
            for username, paths in PAGES:
                context.clear_cookies()
                page.goto(f"{BASE}/accounts/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", PASSWORD)
                page.click(".login-card button[type=submit]")
                page.wait_for_url(f"{BASE}/")
                for path in paths:
                    page.goto(BASE + path)
                    if path == "/map/":
                        page.wait_for_function(
                            "document.getElementById('map-status').textContent.match(/\\d/)", timeout=20000
                        )
                    name = path.strip("/") or "home"
                    page.screenshot(path=OUT / f"{username}-{name}-{size_name}.png", full_page=path != "/map/")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
