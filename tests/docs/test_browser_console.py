"""The demo's pages load without an error in the browser's console, logged in or not.

A page that knows nobody is logged in (the server rendered it so) does not ask the Session
endpoint, whose answer would be a 401 (its contract), which Chromium logs as an error; and the
pages have an icon, so no /favicon.ico 404. Chromium's console is read through ChromeDriver's
log (``goog:loggingPrefs``, set by the browser fixture of tests/docs/test_browser_e2e.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.docs import test_browser_e2e as e2e

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser = e2e.browser  # the fixture: headless Chromium with a fresh profile, console logged
click, wait_for = e2e.click, e2e.wait_for


def console_errors(driver: Any) -> list[str]:
    """The console's errors since the last call (reading the log empties it), once the page
    has settled: its requests, the icon's included, have answered."""
    time.sleep(1)  # the icon is fetched after the load event
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def requested_paths(driver: Any) -> list[str]:
    """The paths the page's own requests (fetch, scripts, styles) went to."""
    script = "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
    return list(driver.execute_script(script))


def load(driver: Any, url: str, css: str, text: str = "") -> None:
    """Open ``url`` afresh, with an empty console log, and wait for ``css`` (with ``text``)."""
    driver.get("about:blank")
    driver.get_log("browser")
    driver.get(url)
    wait_for(driver, css, text=text)


def test_the_demo_pages_log_no_console_error_logged_in_or_out_in_chromium(
    browser: Any, tmp_path: Path
) -> None:
    with e2e.demo_server(tmp_path, subdomains=False) as (port, _):
        app = f"http://localhost:{port}"
        for path in ("/favicon.ico", "/static/demo/favicon.svg"):  # the app's pages use the first
            icon = requests.get(f"{app}{path}", timeout=5)
            assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml"

        anonymous = [
            (f"{app}/", "#anonymous", "You are not logged in."),
            (f"{app}/spa/", "#logged-out-reason", "You are not logged in."),
            (f"{app}/logged-out/", "#logged-out", "You are logged out."),
        ]
        for url, css, text in anonymous:
            load(browser, url, css, text)
            assert console_errors(browser) == [], url
            assert "/auth/session/" not in requested_paths(browser), url  # nothing to ask

        click(browser, "#login-acme")
        wait_for(browser, "body", text="Ada Lovelace")  # the fake's user picker
        browser.find_element("partial link text", "Ada Lovelace").click()
        wait_for(browser, "#user", text="Ada Lovelace")

        for url, css in ((f"{app}/", "#user"), (f"{app}/spa/", "#user")):
            load(browser, url, css, "Ada Lovelace")
            assert console_errors(browser) == [], url
            assert "/auth/session/" in requested_paths(browser), url  # who: the Session endpoint
