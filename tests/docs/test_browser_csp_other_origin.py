"""In DEBUG, the page of a login started on another origin than its ``redirect_uri``'s,
under the strict Content Security Policies of ``test_browser_csp``, in headless Chromium:
styled by the package's stylesheet, no violation, its two links in place."""

from __future__ import annotations

from typing import Any

import pytest

from tests.docs import test_browser_csp as csp

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser = csp.browser  # the fixture: headless Chromium with a fresh profile


@pytest.mark.parametrize("mode", ["static", "nonce"])
def test_the_other_origin_page_is_styled_and_breaks_no_strict_policy(
    browser: Any, mode: str
) -> None:
    with csp.csp_site(mode, "tests.docs.other_origin_site_settings") as port:
        csp.watch_violations(browser)
        browser.get(f"http://localhost:{port}/auth/login/?tenant_name=acme")
        csp.wait_for(browser, "h1", text="This login would not come back here")
        csp.loaded(browser)
        assert csp.violations(browser) == []
        assert csp.body_style(browser) == csp.STYLED_BODY
        note = browser.find_element("css selector", ".note")
        assert note.value_of_css_property("color") == "rgba(85, 85, 85, 1)"  # .note's #555
        text = browser.find_element("css selector", "body").text
        assert f"http://localhost:{port}" in text and "https://app.test" in text
        elsewhere = browser.find_element("css selector", "#elsewhere").get_attribute("href")
        assert elsewhere == "https://app.test/auth/login/?tenant_name=acme"
        assert browser.find_element("css selector", "#continue").get_attribute("href")
        csp.e2e.screenshot(browser, f"csp-{mode}-other-origin-page.png")
