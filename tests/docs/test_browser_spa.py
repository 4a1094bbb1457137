"""The example project's single-page app (/spa/) and logout by GET, in headless Chromium: what
a single-page app, or Wristband's React SDK, gets from wristband-django with real requests.

- After a login the browser holds the ``csrftoken`` cookie (the callback set it: /spa/ sets
  none), so the SPA's fetch POSTs work at once, and without the header Django refuses them.
- The SPA shows the user and the access token's expiry (Session endpoint), which a refresh
  visibly moves on, and never a token or a cookie's value: the token is never sent to it. On a
  401 it says "logged out" and offers the ``loginUrl`` of the 401, for the tenant it knew,
  which brings the user back to the SPA.
- "Log out of this site only" (a fetch POST) ends the session here, not Wristband's; logout by
  GET
  (``allow_logout_get``) works for this site's own navigation only: another site's image and
  link do not log out, and the link shows the confirmation page. Without the setting a GET
  is refused with 405.

The demo server, the browser and the waits come from tests/docs/test_browser_e2e.py.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.docs import test_browser_e2e as e2e
from tests.support.network import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser = e2e.browser  # the fixture: headless Chromium with a fresh profile
click, fake_saw, visible_text, wait_for = e2e.click, e2e.fake_saw, e2e.visible_text, e2e.wait_for
CLOCK = r"\d\d:\d\d:\d\d UTC"


@contextmanager
def spa_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, allow_logout_get: bool
) -> Iterator[tuple[str, int]]:
    """The demo (query-parameter tenants); yields its origin on localhost and the fake's port."""
    monkeypatch.setenv("DEMO_ALLOW_LOGOUT_GET", "1" if allow_logout_get else "0")
    with e2e.demo_server(tmp_path, subdomains=False) as (port, fake_port):
        yield f"http://localhost:{port}", fake_port


@contextmanager
def another_site(html: str) -> Iterator[str]:
    """A page on http://127.0.0.1:<port>/: another *site* than the demo's localhost (Fetch
    Metadata's Sec-Fetch-Site and SameSite cookies compare sites, and ignore ports)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def fetch_status(driver: Any, path: str) -> int:
    """The status a same-origin ``fetch`` (with the cookies) gets from the current page."""
    script = (
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status));"
    )
    return int(driver.execute_async_script(script, path))


def cookie_names(driver: Any) -> set[str]:
    return {cookie["name"] for cookie in driver.get_cookies()}


def pick_user(driver: Any, name: str) -> None:
    """On the fake Wristband's user picker: log in as ``name``."""
    from selenium.webdriver.common.by import By

    wait_for(driver, "body", text=name)
    driver.find_element(By.PARTIAL_LINK_TEXT, name).click()


def log_in_on_the_spa(driver: Any, app: str, *, name: str = "Ada Lovelace") -> None:
    driver.get(f"{app}/")
    click(driver, "#spa")  # the Django-rendered page links to the SPA
    wait_for(driver, "#logged-out-reason", text="You are not logged in")
    click(driver, "#login-acme")
    pick_user(driver, name)
    wait_for(driver, "#user", text=name)  # back on the SPA, which asked the Session endpoint
    assert driver.current_url == f"{app}/spa/"


def test_spa_session_csrf_protected_post_401_and_logout_in_chromium(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By

    with spa_demo(tmp_path, monkeypatch, allow_logout_get=True) as (app, fake_port):
        assert not requests.get(f"{app}/spa/", timeout=5).cookies  # the SPA's page sets none
        browser.get(f"{app}/spa/")
        wait_for(browser, "#logged-out-reason", text="You are not logged in")
        assert "csrftoken" not in cookie_names(browser)
        login = wait_for(browser, "#login-acme")
        assert login.text == "Log in to Acme"
        assert login.get_attribute("href") == (
            f"{app}/auth/login/?tenant_name=acme&return_url=%2Fspa%2F"  # the 401's loginUrl
        )

        login.click()
        pick_user(browser, "Ada Lovelace")
        wait_for(browser, "#user", text="Ada Lovelace (ada@acme.test)")
        assert browser.current_url == f"{app}/spa/"
        assert "csrftoken" in cookie_names(browser)  # from the callback: no extra round trip
        assert browser.find_element(By.CSS_SELECTOR, "#tenant").text == (
            "Acme (name acme, ID tnt_acme)"
        )
        assert browser.find_element(By.CSS_SELECTOR, "#roles").text == "Owner"
        token = wait_for(browser, "#token").text
        assert re.fullmatch(f"valid until ({CLOCK}) \\(in \\d s\\)", token), token
        kept = browser.find_element(By.CSS_SELECTOR, "#token-kept").text
        assert kept == "The token itself stays on the server: it is never sent to this page."
        e2e.assert_demo_words(browser)
        e2e.screenshot(browser, "spa-1-signed-in.png")

        # The token expires (3 s after login here); the next request refreshes it, and the
        # page shows the new expiry, not the past one.
        wait_for(browser, "#token", text="expired at", timeout=e2e.TOKEN_TTL)
        before = re.search(CLOCK, browser.find_element(By.CSS_SELECTOR, "#token").text)
        click(browser, "#send")
        note = wait_for(browser, "#refresh-note", text="the server refreshed it at").text
        assert len(fake_saw(fake_port, "token", grant_type="refresh_token")) == 1
        token = wait_for(browser, "#token", text="valid until").text
        after = re.fullmatch(f"valid until ({CLOCK}) \\(in \\d s\\)", token)
        assert after and before and after.group(1) != before.group(0), (before, token)
        assert note.endswith(f"It is valid until {after.group(1)}.")

        result = wait_for(browser, "#message-result", text="HTTP 200")  # that fetch POST
        assert '"received": "Hello from the single-page app"' in result.text
        assert '"from": "Ada Lovelace"' in result.text and '"tenant": "acme"' in result.text
        click(browser, "#send-without-csrf")
        wait_for(browser, "#message-result", text="HTTP 403: refused by Django's CSRF protection")

        fetched = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
        )
        assert "/auth/session/" in fetched and "/auth/token/" not in fetched  # no token here
        access_token = browser.execute_async_script(
            "const done = arguments[0];"
            "fetch('/auth/token/', {credentials: 'same-origin'})"
            ".then(r => r.json()).then(body => done(body.accessToken));"
        )
        secrets = [access_token, *(cookie["value"] for cookie in browser.get_cookies())]
        assert len(secrets) >= 3 and all(len(secret) > 20 for secret in secrets)
        page = browser.page_source
        assert not [secret for secret in secrets if secret in page]  # no token, no cookie value

        # Logged out in another tab: the SPA's next API call gets a 401 and offers to log in.
        spa_tab = browser.current_window_handle
        browser.switch_to.new_window("tab")
        browser.get(f"{app}/")
        click(browser, "#logout-everywhere")  # the Django-rendered page's logout (form POST)
        wait_for(browser, "#logged-out", text="You are logged out")
        browser.close()
        browser.switch_to.window(spa_tab)
        click(browser, "#send")
        wait_for(browser, "#logged-out-reason", text="the API answered 401")
        assert not browser.find_element(By.CSS_SELECTOR, "#send").is_displayed()
        again = wait_for(browser, "#login", text="Log in to Acme again")  # the tenant it knew
        assert again.get_attribute("href") == (
            f"{app}/auth/login/?tenant_name=acme&return_url=%2Fspa%2F"
        )
        e2e.screenshot(browser, "spa-2-api-401.png")
        again.click()
        pick_user(browser, "Ada Lovelace")
        wait_for(browser, "#user", text="Ada Lovelace")
        assert browser.current_url == f"{app}/spa/"

        # Logout by fetch POST: this site's session ends, the page stays.
        revokes, logouts = len(fake_saw(fake_port, "revoke")), len(fake_saw(fake_port, "logout"))
        here = wait_for(browser, "#logout-this-site")
        assert here.text == "Log out of this site only"
        everywhere = browser.find_element(By.CSS_SELECTOR, "#logout-everywhere")
        assert everywhere.text == "Log out here and at Wristband"  # as on the Django page
        explained = browser.find_element(By.CSS_SELECTOR, "#logout-explained").text
        assert "your Wristband session lives on" in explained and "which ends both" in explained
        here.click()
        wait_for(browser, "#logged-out-reason", text="You are logged out of this site.")
        e2e.assert_demo_words(browser)
        assert browser.current_url == f"{app}/spa/"
        assert fetch_status(browser, "/auth/session/") == 401
        assert len(fake_saw(fake_port, "revoke")) == revokes + 1  # its refresh token revoked
        assert len(fake_saw(fake_port, "logout")) == logouts  # the fetch did not go on there
        wait_for(browser, "#login", text="Log in to Acme again")


LOGOUT_BAIT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site</title></head>
<body>
  <h1>Another site</h1>
  <img src="{logout}" alt="" onload="document.getElementById('img').textContent = 'loaded'"
       onerror="document.getElementById('img').textContent = 'answered, not an image'">
  <p>Image: <span id="img">loading</span></p>
  <p><a id="bait" href="{logout}">You have won a prize</a></p>
</body></html>
"""


def test_logout_by_get_only_for_this_sites_own_navigation_in_chromium(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By

    with spa_demo(tmp_path, monkeypatch, allow_logout_get=True) as (app, fake_port):
        with another_site(LOGOUT_BAIT.format(logout=f"{app}/auth/logout/")) as other:
            log_in_on_the_spa(browser, app)

            # Its <img> GETs the Logout endpoint (without the session cookie: SameSite=Lax;
            # the Fetch Metadata rule would refuse it anyway, as an image, cross-site).
            browser.get(other)
            wait_for(browser, "#img", text="answered, not an image")  # the request was made
            browser.get(f"{app}/spa/")
            wait_for(browser, "#user", text="Ada Lovelace")  # still logged in
            assert fetch_status(browser, "/auth/session/") == 200

            browser.get(other)
            click(browser, "#bait")  # a top-level navigation, but started by another site
            wait_for(browser, "h1", text="Log out?")
            assert browser.current_url == f"{app}/auth/logout/"
            assert "This link did not come from this site" in visible_text(browser)
            assert fetch_status(browser, "/auth/session/") == 200  # still logged in
            assert fake_saw(fake_port, "logout") == []
            e2e.screenshot(browser, "spa-3-logout-confirmation.png")
            browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait_for(browser, "#logged-out", text="You are logged out")  # the user confirmed
            assert fetch_status(browser, "/auth/session/") == 401
            assert len(fake_saw(fake_port, "logout")) == 1

        # This site's own navigation to the Logout endpoint, as Wristband's React SDK does
        # (redirectToLogout: window.location.href = logoutUrl): it logs out at once.
        log_in_on_the_spa(browser, app)
        click(browser, "#logout-everywhere")
        wait_for(browser, "#logged-out", text="You are logged out")
        assert browser.current_url.startswith(f"{app}/logged-out/")
        assert fetch_status(browser, "/auth/session/") == 401
        assert len(fake_saw(fake_port, "logout")) == 2  # Wristband's session ended too


def test_logout_by_get_is_refused_without_the_setting_in_chromium(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with spa_demo(tmp_path, monkeypatch, allow_logout_get=False) as (app, fake_port):
        log_in_on_the_spa(browser, app)
        browser.execute_script("window.location.href = '/auth/logout/'")  # this site's own
        wait_for(browser, "body", text="405")
        assert browser.current_url == f"{app}/auth/logout/"
        status = browser.execute_script(
            "return performance.getEntriesByType('navigation')[0].responseStatus"
        )
        assert status == 405
        browser.get(f"{app}/spa/")
        wait_for(browser, "#user", text="Ada Lovelace")  # still logged in

        click(browser, "#logout-everywhere")  # POST-only: the SPA logs out with a form POST
        wait_for(browser, "#logged-out", text="You are logged out")
        assert fetch_status(browser, "/auth/session/") == 401
        assert len(fake_saw(fake_port, "logout")) == 1
