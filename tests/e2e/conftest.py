"""Browser tests: the system Chromium (Debian's package; never a browser download), driven by Playwright."""

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium comes from Debian's package (make test installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()
        # With Playwright's loop running, the test's queries ran on a connection of their own: close it.
        from django.db import connections

        connections.close_all()
