"""The demo's application-level login in headless Chromium (issue 26, point 1): "Log in
(choose your tenant at Wristband)" goes to the fake's tenant discovery on the application
vanity domain, the chosen tenant's login page, and back logged in to that tenant; logout ends
the Wristband session at that tenant's host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.docs.demo_pages import assert_demo_words
from tests.docs.test_browser_e2e import (
    click,
    demo_server,
    fake_saw,
    headless_chromium,
    screenshot,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser(tmp_path: Path) -> Any:
    with headless_chromium(tmp_path / "profile") as driver:
        yield driver


def choose_tenant_and_user(driver: Any, tenant: str, user: str) -> None:
    """On the fake's tenant discovery page, choose ``tenant``, then ``user`` on its page."""
    from selenium.webdriver.common.by import By

    wait_for(driver, "body", text="Choose your tenant")
    driver.find_element(By.PARTIAL_LINK_TEXT, tenant).click()
    wait_for(driver, "body", text=user)
    driver.find_element(By.PARTIAL_LINK_TEXT, user).click()


def test_the_demo_logs_in_through_wristbands_tenant_discovery(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with demo_server(tmp_path, subdomains=False) as (port, fake_port):
        app = f"http://localhost:{port}/"
        browser.get(app)
        assert wait_for(browser, "#login").text == "Log in (choose your tenant at Wristband)"
        assert_demo_words(browser)
        click(browser, "#login")
        wait_for(browser, "body", text="Choose your tenant")
        assert browser.current_url.startswith(f"http://localhost:{fake_port}/api/v1/oauth2/")
        screenshot(browser, "application-level-1-tenant-discovery.png")
        choose_tenant_and_user(browser, "globex", "Hank Scorpio")
        wait_for(browser, "#user", text="Hank Scorpio (")
        assert browser.current_url == app
        tenant = browser.find_element(By.CSS_SELECTOR, "#tenant").text
        assert tenant == "Globex (name globex, ID tnt_globex)"
        hosts = [request["host"] for request in fake_saw(fake_port, "authorize")]
        globex = f"globex.localhost:{fake_port}"
        # Discovery, globex's login page and the user's choice there, then the tenant-level
        # login that confirms globex (Wristband's session: no page).
        assert hosts == [f"localhost:{fake_port}", globex, globex, globex]
        screenshot(browser, "application-level-2-logged-in.png")

        click(browser, "#logout-everywhere")
        wait_for(browser, "#logged-out", text="You are logged out.")
        (logout,) = fake_saw(fake_port, "logout")
        assert logout["host"] == globex  # Wristband's session at globex ended

        click(browser, "#login")  # again: globex is confirmed now, one round trip
        choose_tenant_and_user(browser, "globex", "Hank Scorpio")
        wait_for(browser, "#user", text="Hank Scorpio (")
        hosts = [request["host"] for request in fake_saw(fake_port, "authorize")]
        assert hosts[4:] == [f"localhost:{fake_port}", globex, globex]
        assert_demo_words(browser)
