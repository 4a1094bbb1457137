"""Popup login (docs/front-ends.md, "Log in in a popup") in headless Chromium, under a strict
Content Security Policy: tests/docs/popup_site.py's site under ``runserver`` with a fake
Wristband, and a single-page app's page that runs the page's block as written.

- The page opens the Login endpoint with ``popup=1``; the user logs in at the fake
  Wristband (through its tenant discovery); the popup posts its message and closes; the page
  receives exactly one message, from its own origin, and the Session endpoint then says who
  is logged in.
- A page of another origin that opened the same popup receives nothing, though the popup
  ran its script (it closed itself, which it does only with an opener).
- Without an opener, the popup page goes on to the login's return URL.
- No window breaks the policy: every violation is reported to the site (``report-uri``),
  also from a popup that has closed, and a page with an inline script shows that one is.

Django's ``SecurityMiddleware`` sends its default ``Cross-Origin-Opener-Policy:
same-origin`` (the page opening the popup sends ``same-origin-allow-popups``, as the docs
say it must).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.docs import test_browser_e2e as e2e
from tests.support import settings as suite_settings
from tests.support.dev_server import serving
from tests.support.network import free_port
from wristband_django.testing import FakeWristband
from wristband_django.testing.project_settings import settings_for_fake

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser = e2e.browser  # the fixture: headless Chromium with a fresh profile
click, wait_for = e2e.click, e2e.wait_for
ROOT = Path(__file__).resolve().parents[2]
MODES = ["static", "nonce"]


@contextmanager
def popup_site(mode: str, tmp_path: Path) -> Iterator[tuple[str, FakeWristband, Path]]:
    """The site in CSP ``mode`` on ``localhost``, with a fake Wristband; yields its origin,
    the fake and the file its CSP violation reports go to."""
    port = free_port()
    app = f"http://localhost:{port}"
    urls = {"login_url": f"{app}/auth/login/", "redirect_uri": f"{app}/auth/callback/"}
    reports = tmp_path / "csp-reports.jsonl"
    reports.touch()
    with FakeWristband(**urls) as fake:
        auth = settings_for_fake(suite_settings.WRISTBAND_AUTH, fake, **urls)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("WRISTBAND_", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "tests.docs.popup_site_settings",
            "PYTHONPATH": str(ROOT),
            "POPUP_CSP_MODE": mode,
            "POPUP_CSP_REPORTS": str(reports),
            "POPUP_SQLITE_PATH": str(tmp_path / "popup.sqlite3"),
            "POPUP_WRISTBAND_AUTH": json.dumps(auth),
        }
        django = [sys.executable, "-m", "django"]
        subprocess.run([*django, "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        runserver = [*django, "runserver", "--noreload", f"127.0.0.1:{port}"]

        def ready() -> None:
            requests.get(f"http://127.0.0.1:{port}/opener/", timeout=1).raise_for_status()

        with serving(runserver, cwd=ROOT, env=env, ready=ready, what="the popup test site"):
            yield app, fake, reports


def reported(reports: Path, *, wait: float = 1.0) -> list[dict[str, Any]]:
    """The violation reports received, after ``wait`` seconds for late ones."""
    time.sleep(wait)
    return [json.loads(line) for line in reports.read_text().splitlines()]


def a_violation_is_reported(driver: Any, app: str, reports: Path) -> None:
    """The control: a page whose inline script the policy blocks gets reported."""
    driver.get(f"{app}/inline-script/")
    wait_for(driver, "h1", text="Inline")
    (report,) = reported(reports)
    assert report["document-uri"] == f"{app}/inline-script/"
    assert report["violated-directive"].startswith("script-src")
    assert driver.title == "Inline"  # the script did not run
    reports.write_text("")


def popup_handle(driver: Any, opener: str) -> str:
    """Wait for the popup the page opened; return its window handle."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: len(d.window_handles) == 2)
    (handle,) = [handle for handle in driver.window_handles if handle != opener]
    return handle


def log_in_at_wristband(driver: Any, user: str, *, discovery: bool) -> None:
    """On the fake Wristband: pick the acme tenant (``discovery``), then log in as ``user``."""
    from selenium.webdriver.common.by import By

    if discovery:
        wait_for(driver, "body", text="Choose your tenant")
        driver.find_element(By.PARTIAL_LINK_TEXT, "acme").click()
    wait_for(driver, "body", text=user)
    driver.find_element(By.PARTIAL_LINK_TEXT, user).click()


def closed_by_itself(driver: Any, opener: str) -> None:
    """Wait until only the opener's window is left; switch back to it."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: d.window_handles == [opener])
    driver.switch_to.window(opener)


def fetch_status(driver: Any, path: str) -> int:
    """The status a same-origin ``fetch`` (with the cookies) gets from the current page."""
    script = (
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status));"
    )
    return int(driver.execute_async_script(script, path))


@pytest.mark.parametrize("mode", MODES)
def test_the_popup_tells_its_opener_once_and_closes(
    browser: Any, tmp_path: Path, mode: str
) -> None:
    with popup_site(mode, tmp_path) as (app, fake, reports):
        a_violation_is_reported(browser, app, reports)
        browser.get(f"{app}/opener/")
        assert fetch_status(browser, "/auth/session/") == 401
        opener = browser.current_window_handle
        click(browser, "#login")
        browser.switch_to.window(popup_handle(browser, opener))
        log_in_at_wristband(browser, "Acme Member", discovery=True)  # no tenant named

        closed_by_itself(browser, opener)
        wait_for(browser, "#session", text="usr_acme_member logged in")  # the Session endpoint
        assert browser.find_element("css selector", "#message").text == '{"type":"login_success"}'
        time.sleep(0.5)  # a second message would have arrived by now
        received = browser.execute_script("return window.received")
        assert received == [{"origin": app, "data": {"type": "login_success"}}]
        assert fetch_status(browser, "/auth/session/") == 200
        assert [r.endpoint for r in fake.requests].count("token") == 1  # one login
        assert reported(reports) == []  # no window broke the policy, the popup's neither


def test_a_page_of_another_origin_that_opened_the_popup_receives_nothing(
    browser: Any, tmp_path: Path
) -> None:
    with popup_site("static", tmp_path) as (app, _fake, reports):
        other = app.replace("localhost", "127.0.0.1")  # another origin (and site), same server
        login = f"{app}/auth/login/?tenant_name=acme"
        browser.get(f"{other}/opener/?login_url={quote(login)}")
        opener = browser.current_window_handle
        click(browser, "#login")
        browser.switch_to.window(popup_handle(browser, opener))
        log_in_at_wristband(browser, "Acme Member", discovery=False)

        closed_by_itself(browser, opener)  # its script ran and found an opener
        wait_for(browser, "#message", text="null")  # logInInPopup saw it closed, no message
        time.sleep(0.5)
        assert browser.execute_script("return window.received") == []
        browser.get(f"{app}/opener/")
        assert fetch_status(browser, "/auth/session/") == 200  # the login itself completed
        assert reported(reports) == []


@pytest.mark.parametrize("mode", MODES)
def test_without_an_opener_the_popup_page_goes_on_to_the_return_url(
    browser: Any, tmp_path: Path, mode: str
) -> None:
    with popup_site(mode, tmp_path) as (app, _fake, reports):
        browser.get(f"{app}/auth/login/?tenant_name=acme&popup=1&return_url=/opener/%3Fback%3D1")
        log_in_at_wristband(browser, "Acme Member", discovery=False)
        wait_for(browser, "#login")
        assert browser.current_url == f"{app}/opener/?back=1"
        assert len(browser.window_handles) == 1
        assert fetch_status(browser, "/auth/session/") == 200
        assert reported(reports) == []


def test_under_djangos_default_opener_policy_the_popup_loses_its_opener(
    browser: Any, tmp_path: Path
) -> None:
    """What the page warns of: the SPA's page sent with Django's default ``same-origin``."""
    with popup_site("static", tmp_path) as (app, _fake, _reports):
        browser.get(f"{app}/opener/?coop=default")
        opener = browser.current_window_handle
        click(browser, "#login")
        popup = popup_handle(browser, opener)
        wait_for(browser, "#message", text="null")  # cut off at once: the popup counts as closed
        browser.switch_to.window(popup)
        log_in_at_wristband(browser, "Acme Member", discovery=True)
        wait_for(browser, "#login")  # the popup ends on the return URL, the SPA again
        assert browser.current_url == f"{app}/opener/?coop=default"
        assert fetch_status(browser, "/auth/session/") == 200
        browser.switch_to.window(opener)
        assert browser.execute_script("return window.received") == []
