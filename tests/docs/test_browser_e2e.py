"""The demo in headless Chromium, as a newcomer would use it: the README's example project
with its embedded fake Wristband, in both tenant modes (query parameter and subdomain).

It also makes the README's screenshots: test-artifacts/query-3-api-after-refresh.png,
subdomain-1-wristband-login.png and query-4-signed-out.png are docs/demo-after-refresh.png,
docs/demo-fake-wristband-login.png and docs/demo-signed-out.png.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.dev_server import serving
from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TOKEN_TTL = 8  # minus the demo's 5 s buffer: the access token expires 3 s after login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@contextmanager
def demo_server(tmp_path: Path, *, subdomains: bool) -> Iterator[tuple[int, int]]:
    """``python manage.py runserver`` for the example project; yields (app port, fake port)."""
    port, fake_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WRISTBAND_", "DJANGO_"))},
        "PORT": str(port),
        "DEMO_WRISTBAND_PORT": str(fake_port),
        "DEMO_ACCESS_TOKEN_TTL": str(TOKEN_TTL),
        "DEMO_TENANT_SUBDOMAINS": "1" if subdomains else "0",
        "DJANGO_SQLITE_PATH": str(tmp_path / "demo.sqlite3"),
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603

    def ready() -> None:
        requests.get(f"http://127.0.0.1:{port}/", timeout=1).raise_for_status()
        requests.get(f"http://127.0.0.1:{fake_port}/_fake/requests", timeout=1)

    runserver = [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"]
    with serving(runserver, cwd=ROOT, env=env, ready=ready, what="the demo server"):
        yield port, fake_port


def fake_saw(fake_port: int, endpoint: str, **match: str) -> list[dict[str, Any]]:
    received = requests.get(f"http://127.0.0.1:{fake_port}/_fake/requests", timeout=5).json()
    return [
        r
        for r in received
        if r["endpoint"] == endpoint and all(r.get(k) == v for k, v in match.items())
    ]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--window-size=1000,900", f"--user-data-dir={tmp_path / 'profile'}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, css: str, *, text: str = "", timeout: float = 10) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout)
    if text:
        wait.until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return wait.until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))


def click(driver: Any, css: str) -> None:
    wait_for(driver, css).click()


def api_status(driver: Any) -> int:
    return int(
        driver.execute_async_script(
            "const done = arguments[0];"
            "fetch('/api/hello/', {credentials: 'same-origin'}).then(r => done(r.status));"
        )
    )


def screenshot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def visible_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


def utc_clock(epoch_ms: int) -> str:
    """How the demo writes an epoch-ms time: ``10:42:05 UTC``."""
    return datetime.fromtimestamp(epoch_ms / 1000, timezone.utc).strftime("%H:%M:%S UTC")


def seconds_of_day(clock: str) -> int:
    hours, minutes, seconds = (int(n) for n in clock[:8].split(":"))
    return hours * 3600 + minutes * 60 + seconds


def assert_times_are_readable(driver: Any) -> None:
    """The token's expiry reads as a clock time a few seconds from now and a duration, and
    every epoch-ms number on the page (the API's raw JSON) is followed by its reading."""
    from selenium.webdriver.common.by import By

    expiry = driver.find_element(By.CSS_SELECTOR, "#expiry").text
    readable = re.fullmatch(r"(expires|expired) at (\d\d:\d\d:\d\d) UTC \((.+?)\).*", expiry)
    assert readable, expiry
    state, clock, relative = readable.groups()
    duration = r"(\d+ min )?\d+ s"
    assert re.fullmatch(f"in {duration}" if state == "expires" else f"{duration} ago", relative)
    now = utc_clock(int(time.time() * 1000))
    off = (seconds_of_day(clock) - seconds_of_day(now)) % 86400
    assert min(off, 86400 - off) <= TOKEN_TTL, (expiry, now)  # a few seconds from now
    text = visible_text(driver)
    for match in re.finditer(r"(?<!\d)(\d{13})(?!\d)(,?  // (\d\d:\d\d:\d\d UTC))?", text):
        assert match.group(3) == utc_clock(int(match.group(1))), f"bare epoch in:\n{text}"
    shown = re.search(r'"accessTokenExpiresAt": (\d{13})', text)
    if shown:  # the countdown is about the token the API just answered with
        assert f"at {utc_clock(int(shown.group(1)))} (" in expiry, (expiry, text)


def log_in_refresh_log_out(
    driver: Any, app: str, fake_port: int, *, start: str, user: str, name: str, prefix: str
) -> None:
    from selenium.webdriver.common.by import By

    driver.get(app)
    click(driver, start)
    wait_for(driver, "body", text=name)  # the fake's user picker
    screenshot(driver, f"{prefix}-1-wristband-login.png")
    driver.find_element(By.PARTIAL_LINK_TEXT, name).click()
    wait_for(driver, "#user", text=user)  # back at the app, the session shown
    assert driver.current_url.startswith(app)
    assert_times_are_readable(driver)
    screenshot(driver, f"{prefix}-2-logged-in.png")

    time.sleep(TOKEN_TTL - 5 + 0.5)  # past the access token's expiry
    wait_for(driver, "#expiry", text="expired")
    click(driver, "#call-api")
    wait_for(driver, "#api-result", text="HTTP 200")
    assert "from a protected API" in driver.find_element(By.CSS_SELECTOR, "#api-result").text
    assert len(fake_saw(fake_port, "token", grant_type="refresh_token")) == 1  # transparent refresh
    wait_for(driver, "#api-note", text="the middleware refreshed it at")
    assert_times_are_readable(driver)
    screenshot(driver, f"{prefix}-3-api-after-refresh.png")

    click(driver, "#logout")
    wait_for(driver, "#signed-out", text="You are signed out")  # back on the demo, saying so
    assert driver.current_url.startswith(f"{app}signed-out/")
    assert len(fake_saw(fake_port, "logout")) == 1  # the Wristband logout URL was visited
    assert api_status(driver) == 401
    screenshot(driver, f"{prefix}-4-signed-out.png")
    driver.get(app)
    wait_for(driver, "#anonymous")
    assert "signed out" not in visible_text(driver)  # the note is for the logout's landing only


def failed_login_offers_a_retry(
    driver: Any, app: str, *, start: str, tenant: str | None, name: str, prefix: str
) -> None:
    """A refused login ends on a page that says what to do next, and its retry logs in.
    ``tenant``: the one to choose on the fake's tenant discovery page, if the retry shows it."""
    from selenium.webdriver.common.by import By

    driver.get(app)
    click(driver, start)
    wait_for(driver, "body", text=name)
    driver.find_element(By.PARTIAL_LINK_TEXT, "Deny").click()  # Wristband answers access_denied
    wait_for(driver, "h1", text="We could not sign you in")
    assert "access_denied" in visible_text(driver)
    assert driver.find_element(By.CSS_SELECTOR, "#home").get_attribute("href") == app
    screenshot(driver, f"{prefix}-5-login-failed.png")
    click(driver, "#retry")
    if tenant is not None:
        wait_for(driver, "body", text="Choose your organization")
        driver.find_element(By.PARTIAL_LINK_TEXT, tenant).click()
    wait_for(driver, "body", text=name)
    driver.find_element(By.PARTIAL_LINK_TEXT, name).click()
    wait_for(driver, "#user", text=name)
    assert driver.current_url.startswith(app)


def test_demo_login_refresh_and_logout_in_chromium(browser: Any, tmp_path: Path) -> None:
    with demo_server(tmp_path, subdomains=False) as (port, fake_port):
        app = f"http://localhost:{port}/"
        log_in_refresh_log_out(
            browser,
            app,
            fake_port,
            start="#login-acme",
            user="Ada Lovelace",
            name="Ada Lovelace",
            prefix="query",
        )
        failed_login_offers_a_retry(
            browser, app, start="#login-acme", tenant="acme", name="Ada Lovelace", prefix="query"
        )


def test_demo_on_a_tenant_subdomain_in_chromium(browser: Any, tmp_path: Path) -> None:
    with demo_server(tmp_path, subdomains=True) as (port, fake_port):
        globex, acme = (f"http://{name}.localhost:{port}/" for name in ("globex", "acme"))
        browser.get(globex)
        wait_for(browser, "#site", text=f"You are on globex's site (globex.localhost:{port})")
        assert wait_for(browser, "#tenant-acme").get_attribute("href") == acme
        log_in_refresh_log_out(
            browser,
            globex,
            fake_port,
            start="#login",
            user="Hank Scorpio",
            name="Hank Scorpio",
            prefix="subdomain",
        )
        assert fake_saw(fake_port, "authorize")[0]["host"] == f"globex.localhost:{fake_port}"
        failed_login_offers_a_retry(
            browser, globex, start="#login", tenant=None, name="Hank Scorpio", prefix="subdomain"
        )
        click(browser, "#tenant-acme")  # logged in on globex's site, not on acme's
        wait_for(browser, "#site", text=f"You are on acme's site (acme.localhost:{port})")
        wait_for(browser, "#anonymous")
        assert wait_for(browser, "#tenant-globex").get_attribute("href") == globex
