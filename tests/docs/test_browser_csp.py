"""The error page and the logout confirmation under a strict Content Security Policy, in
headless Chromium: styled as designed, no violation reported.

The site (tests/support/csp_settings.py) runs under ``runserver`` with Django 6.0's CSP
middleware where Django has it, else a small middleware sending the same header:

- ``static``: ``default-src 'self'``, static files served: the pages link
  ``wristband_django/pages.css`` and inline nothing.
- ``nonce``: no static files (no ``STATIC_URL``), ``style-src 'self' 'nonce-...'``: the pages
  inline the stylesheet with the request's nonce.

A page with a plain inline ``<style>`` shows that a violation is seen when there is one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.docs import test_browser_e2e as e2e
from tests.support.dev_server import serving
from tests.support.network import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser = e2e.browser  # the fixture: headless Chromium with a fresh profile
wait_for = e2e.wait_for
ROOT = Path(__file__).resolve().parents[2]

#: Collects the page's CSP violations from its first byte on (before any page script runs).
COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.cspViolations.push(event.effectiveDirective + ' ' + (event.blockedURI || 'inline'));
});
"""
#: What pages.css sets on <body>, as Chromium computes it.
STYLED_BODY = {"maxWidth": "576px", "marginTop": "64px", "color": "rgb(34, 34, 34)"}


@contextmanager
def csp_site(mode: str, settings_module: str = "tests.support.csp_settings") -> Iterator[int]:
    """``runserver`` for ``settings_module`` (tests/support/csp_settings.py, or settings built
    on it) in the CSP ``mode``; yields its port."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WRISTBAND_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": settings_module,
        "CSP_TEST_MODE": mode,
        "PYTHONPATH": str(ROOT),
    }
    runserver = [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"]

    def ready() -> None:
        requests.get(f"http://127.0.0.1:{port}/inline-style/", timeout=1)

    with serving(runserver, cwd=ROOT, env=env, ready=ready, what="the CSP test site"):
        yield port


def watch_violations(driver: Any) -> None:
    """Make every page the browser loads from now on record its CSP violations."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLLECT_VIOLATIONS})


def loaded(driver: Any) -> None:
    """Wait until the current page and its stylesheets have loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def body_style(driver: Any) -> dict[str, str]:
    script = "const s = getComputedStyle(document.body); return [s.maxWidth, s.marginTop, s.color];"
    max_width, margin_top, color = driver.execute_script(script)
    return {"maxWidth": max_width, "marginTop": margin_top, "color": color}


def violations(driver: Any) -> list[str]:
    """The CSP violations the current page reported (after a moment for late ones)."""
    time.sleep(0.3)  # the events are dispatched asynchronously
    found: list[str] = driver.execute_script("return window.cspViolations")
    return found


@pytest.mark.parametrize("mode", ["static", "nonce"])
def test_the_pages_are_styled_and_break_no_strict_policy_in_chromium(
    browser: Any, mode: str
) -> None:
    with csp_site(mode) as port:
        watch_violations(browser)
        app = f"http://localhost:{port}"

        browser.get(f"{app}/inline-style/")  # the control: a blocked inline style is seen
        loaded(browser)
        assert violations(browser) == ["style-src-elem inline"]
        assert body_style(browser)["color"] == "rgb(0, 0, 0)"  # blocked: the default color

        browser.get(f"{app}/auth/login/?tenant_name=a&tenant_name=b")  # the error page
        wait_for(browser, "h1", text="We could not log you in")
        loaded(browser)
        assert violations(browser) == []
        assert body_style(browser) == STYLED_BODY
        assert browser.find_element("css selector", "html").get_attribute("lang") == "en-us"
        e2e.screenshot(browser, f"csp-{mode}-error-page.png")

        browser.get(f"http://127.0.0.1:{port}/elsewhere/")  # another site links to the logout
        e2e.click(browser, "#logout")
        wait_for(browser, "h1", text="Log out?")
        loaded(browser)
        assert violations(browser) == []
        assert body_style(browser) == STYLED_BODY
        button = browser.find_element("css selector", "button")
        assert button.value_of_css_property("padding-left") == "16px"  # .4rem 1rem
        e2e.screenshot(browser, f"csp-{mode}-logout-confirmation.png")
