"""The demo in headless Chromium, as a newcomer would use it: the README's example project
with its embedded fake Wristband, in both tenant modes (query parameter and subdomain).

Its screenshots (test-artifacts/) are of a 3 s token; the docs' (docs/demo-*.png), of the
demo's real 30 s one, come from ``python -m tests.docs.demo_screenshots``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.docs.demo_pages import (
    assert_demo_words,
    assert_times_are_readable,
    requested_scopes,
    visible_text,
)
from tests.support.dev_server import serving
from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TOKEN_TTL = 8  # minus the demo's 5 s buffer: the access token expires 3 s after login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@contextmanager
def demo_server(
    tmp_path: Path, *, subdomains: bool, token_ttl: int | None = TOKEN_TTL
) -> Iterator[tuple[int, int]]:
    """``python manage.py runserver`` for the example project; yields (app port, fake port).

    ``token_ttl``: the fake's access token lifetime, of which the demo takes 5 s off (None:
    the demo's own, 35 s)."""
    port, fake_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WRISTBAND_", "DJANGO_"))},
        "PORT": str(port),
        "DEMO_WRISTBAND_PORT": str(fake_port),
        "DEMO_TENANT_SUBDOMAINS": "1" if subdomains else "0",
        "DJANGO_SQLITE_PATH": str(tmp_path / "demo.sqlite3"),
    }
    env.pop("DEMO_ACCESS_TOKEN_TTL", None)
    if token_ttl is not None:
        env["DEMO_ACCESS_TOKEN_TTL"] = str(token_ttl)
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
    with headless_chromium(tmp_path / "profile") as driver:
        yield driver


@contextmanager
def headless_chromium(profile: Path) -> Iterator[Any]:
    """Headless Chromium through Selenium, with a fresh ``profile``, logging its console."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for get_log
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--window-size=1000,900", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def _across_navigations(condition: Any) -> Any:
    """``condition``, read as not yet met when the element it found went away with its page
    (a navigation between finding the element and reading it: chromedriver then answers
    "Node with given id does not belong to the document", not a stale-element error)."""
    from selenium.common.exceptions import WebDriverException

    def check(driver: Any) -> Any:
        try:
            return condition(driver)
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc.msg or ""):
                return False
            raise

    return check


def wait_for(driver: Any, css: str, *, text: str = "", timeout: float = 10) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout)
    locator = (By.CSS_SELECTOR, css)
    if text:
        wait.until(
            _across_navigations(expected_conditions.text_to_be_present_in_element(locator, text))
        )
    return wait.until(
        _across_navigations(expected_conditions.visibility_of_element_located(locator))
    )


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


def log_in_refresh_log_out(
    driver: Any, app: str, fake_port: int, *, start: str, user: str, tenant: str, prefix: str
) -> None:
    """``tenant``: what the page calls the user's tenant, ``Acme (name acme, ID tnt_acme)``."""
    from selenium.webdriver.common.by import By

    driver.get(app)
    assert_demo_words(driver)
    click(driver, start)
    wait_for(driver, "body", text=user)  # the fake's user picker
    # What the page shows needs its scope: the name (profile), the email, the roles.
    assert {"openid", "email", "profile", "roles"} <= requested_scopes(driver)
    screenshot(driver, f"{prefix}-1-wristband-login.png")
    driver.find_element(By.PARTIAL_LINK_TEXT, user).click()
    wait_for(driver, "#user", text=f"{user} (")  # back at the app, the session shown
    assert driver.current_url.startswith(app)
    assert driver.find_element(By.CSS_SELECTOR, "#tenant").text == tenant
    assert driver.find_element(By.CSS_SELECTOR, "#roles").text == "Owner"
    assert_times_are_readable(driver, TOKEN_TTL)
    logout = driver.find_element(By.CSS_SELECTOR, "#logout-everywhere")
    assert logout.text == "Log out here and at Wristband"  # what it does: both sessions end
    explained = driver.find_element(By.CSS_SELECTOR, "#logout-explained").text
    assert "ends your session on this site and your Wristband session" in explained
    assert_demo_words(driver)
    screenshot(driver, f"{prefix}-2-logged-in.png")

    time.sleep(TOKEN_TTL - 5 + 0.5)  # past the access token's expiry
    wait_for(driver, "#expiry", text="expired")
    click(driver, "#call-api")
    wait_for(driver, "#api-result", text="HTTP 200")
    assert "from a protected API" in driver.find_element(By.CSS_SELECTOR, "#api-result").text
    assert len(fake_saw(fake_port, "token", grant_type="refresh_token")) == 1  # transparent refresh
    wait_for(driver, "#api-note", text="the middleware refreshed it at")
    assert_times_are_readable(driver, TOKEN_TTL)
    screenshot(driver, f"{prefix}-3-api-after-refresh.png")

    click(driver, "#logout-everywhere")
    wait_for(driver, "#logged-out", text="You are logged out.")  # back on the demo, saying so
    assert "here and at Wristband" in visible_text(driver)
    assert driver.current_url.startswith(f"{app}logged-out/")
    assert len(fake_saw(fake_port, "logout")) == 1  # the Wristband logout URL was visited
    assert api_status(driver) == 401
    assert_demo_words(driver)
    screenshot(driver, f"{prefix}-4-signed-out.png")
    driver.get(app)
    wait_for(driver, "#anonymous")
    assert "logged out" not in visible_text(driver)  # the note is for the logout's landing only


def failed_login_offers_a_retry(
    driver: Any, app: str, fake_port: int, *, start: str, name: str, prefix: str
) -> None:
    """A refused login ends on a page that says what to do next, and its retry logs in to the
    same tenant, not through Wristband's tenant discovery."""
    from selenium.webdriver.common.by import By

    driver.get(app)
    click(driver, start)
    wait_for(driver, "body", text=name)
    driver.find_element(By.PARTIAL_LINK_TEXT, "Deny").click()  # Wristband answers access_denied
    wait_for(driver, "h1", text="We could not log you in")
    assert "access_denied" in visible_text(driver)
    assert driver.find_element(By.CSS_SELECTOR, "#home").get_attribute("href") == app
    assert_demo_words(driver)
    screenshot(driver, f"{prefix}-5-login-failed.png")
    discoveries = len(fake_saw(fake_port, "app_login"))
    assert wait_for(driver, "#retry").text == "Log in again"
    click(driver, "#retry")
    wait_for(driver, "body", text=name)  # the tenant's user picker, at once
    assert len(fake_saw(fake_port, "app_login")) == discoveries
    driver.find_element(By.PARTIAL_LINK_TEXT, name).click()
    wait_for(driver, "#user", text=name)
    assert driver.current_url.startswith(app)


def api_401_logs_in_to_the_same_tenant(driver: Any, app: str, fake_port: int) -> None:
    """Logged in, the session gone (here: its cookie), the page's API call answers 401 and the
    page sends the browser to log in again to the tenant it knew, not through Wristband's
    tenant discovery: Wristband's session (alive) logs the user straight back in."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait_for(driver, "#user")
    driver.delete_cookie("sessionid")
    logins, discoveries = (
        len(fake_saw(fake_port, "authorize")),
        len(fake_saw(fake_port, "app_login")),
    )
    driver.execute_script("window.beforeThe401 = true")  # gone once the browser has left
    click(driver, "#call-api")
    reloaded = "return !window.beforeThe401 && document.getElementById('user')?.textContent"
    WebDriverWait(driver, 15).until(lambda d: d.execute_script(reloaded))  # back, logged in
    assert driver.current_url == app
    assert driver.find_element(By.CSS_SELECTOR, "#user").text.startswith("Ada Lovelace")
    assert len(fake_saw(fake_port, "app_login")) == discoveries
    (login,) = fake_saw(fake_port, "authorize")[logins:]
    assert login["host"] == f"acme.localhost:{fake_port}"  # acme's login page


def test_demo_login_refresh_and_logout_in_chromium(browser: Any, tmp_path: Path) -> None:
    with demo_server(tmp_path, subdomains=False) as (port, fake_port):
        app = f"http://localhost:{port}/"
        browser.get(app)
        assert wait_for(browser, "#login-acme").text == "Log in to Acme"  # its display name
        assert browser.find_element("css selector", "#login-globex").text == "Log in to Globex"
        log_in_refresh_log_out(
            browser,
            app,
            fake_port,
            start="#login-acme",
            user="Ada Lovelace",
            tenant="Acme (name acme, ID tnt_acme)",
            prefix="query",
        )
        failed_login_offers_a_retry(
            browser, app, fake_port, start="#login-acme", name="Ada Lovelace", prefix="query"
        )
        api_401_logs_in_to_the_same_tenant(browser, app, fake_port)


def test_demo_on_a_tenant_subdomain_in_chromium(browser: Any, tmp_path: Path) -> None:
    with demo_server(tmp_path, subdomains=True) as (port, fake_port):
        globex, acme = (f"http://{name}.localhost:{port}/" for name in ("globex", "acme"))
        browser.get(globex)
        wait_for(browser, "#site", text=f"You are on Globex's site (globex.localhost:{port})")
        assert wait_for(browser, "#login").text == "Log in to Globex"
        assert wait_for(browser, "#tenant-acme").get_attribute("href") == acme
        assert browser.find_element("css selector", "#tenant-acme").text.startswith("Acme's site")
        log_in_refresh_log_out(
            browser,
            globex,
            fake_port,
            start="#login",
            user="Hank Scorpio",
            tenant="Globex (name globex, ID tnt_globex)",
            prefix="subdomain",
        )
        assert fake_saw(fake_port, "authorize")[0]["host"] == f"globex.localhost:{fake_port}"
        failed_login_offers_a_retry(
            browser, globex, fake_port, start="#login", name="Hank Scorpio", prefix="subdomain"
        )
        click(browser, "#tenant-acme")  # logged in on globex's site, not on acme's
        wait_for(browser, "#site", text=f"You are on Acme's site (acme.localhost:{port})")
        wait_for(browser, "#anonymous")
        assert wait_for(browser, "#tenant-globex").get_attribute("href") == globex
