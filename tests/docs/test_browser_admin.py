"""The Django admin behind Wristband in headless Chromium: docs/django-auth.md's "The admin
behind Wristband" project (tests/support/admin_login_site.py builds it from the page's blocks)
served by pytest-django's live server, with a fake Wristband on its own port.

A browser opens /admin/, goes through the fake's tenant discovery and login pages, and lands on
the admin's index as a superuser (the ``app:admin`` role, from Wristband); the admin's "Log
out" button ends the session here and at Wristband. A user without a staff role lands on the
page that says why, and logs out with its button.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from pytest_django.live_server_helper import LiveServer

from tests.docs import test_browser_e2e as e2e
from tests.support.admin_login_site import admin_recipe
from wristband_django.testing import FakeWristband
from wristband_django.testing.browser_protocol import AUTHORIZE_PATH
from wristband_django.testing.project_settings import settings_for_fake

pytestmark = [pytest.mark.browser, pytest.mark.slow]

browser = e2e.browser  # the fixture: headless Chromium with a fresh profile
click, wait_for, visible_text = e2e.click, e2e.wait_for, e2e.visible_text


@pytest.fixture
def live_site(settings: Any, transactional_db: None) -> Iterator[str]:
    """pytest-django's live server, started for this test (its session-wide ``live_server``
    would start under the suite's settings, whose ``STATIC_URL`` its static-files handler
    needs); yields its origin."""
    settings.STATIC_URL = "/static/"
    server = LiveServer("localhost")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def site(
    live_site: str, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, FakeWristband]]:
    """The page's project on the live server; yields its origin and the fake Wristband.

    Tests name it before ``browser``: the browser then quits (closing its keep-alive
    connections) before the server stops, which would otherwise close them on its way out."""
    app = live_site
    urls = {"login_url": f"{app}/auth/login/", "redirect_uri": f"{app}/auth/callback/"}
    with FakeWristband(**urls) as fake:
        settings.WRISTBAND_AUTH = settings_for_fake(settings.WRISTBAND_AUTH, fake, **urls)
        with admin_recipe(tmp_path, monkeypatch, settings):
            yield app, fake


def log_in_at_wristband(driver: Any, name: str) -> None:
    """On the fake Wristband: pick the acme tenant, then log in as the user ``name``."""
    from selenium.webdriver.common.by import By

    wait_for(driver, "body", text="Choose your tenant")
    driver.find_element(By.PARTIAL_LINK_TEXT, "acme").click()
    wait_for(driver, "body", text=name)
    driver.find_element(By.PARTIAL_LINK_TEXT, name).click()


def at_wristband_login(driver: Any, fake: FakeWristband) -> bool:
    """Whether the browser is on the fake Wristband's login page (its authorize endpoint)."""
    parts = urlsplit(driver.current_url)
    return parts.port == fake.port and parts.path == AUTHORIZE_PATH


def seen(fake: FakeWristband, endpoint: str) -> int:
    return len([request for request in fake.requests if request.endpoint == endpoint])


def test_a_staff_user_logs_in_to_the_admin_through_wristband_and_out_again(
    site: tuple[str, FakeWristband], browser: Any
) -> None:
    app, fake = site
    browser.get(f"{app}/admin/")
    log_in_at_wristband(browser, "Acme Admin")
    wait_for(browser, "#site-name", text="Django administration")
    assert browser.current_url == f"{app}/admin/"
    assert "Wristband login sessions" in visible_text(browser)  # a superuser sees every model
    admin = get_user_model().objects.get(email="admin@acme.test")
    assert admin.is_staff and admin.is_superuser  # from the app:admin role
    e2e.screenshot(browser, "admin-1-index-after-wristband-login.png")

    click(browser, "#logout-form button")  # the admin's own "Log out" (POST, CSRF)
    wait_for(browser, "body", text="Acme Admin")  # Wristband's login page again
    assert at_wristband_login(browser, fake)
    assert seen(fake, "revoke") == 1 and seen(fake, "logout") == 1
    browser.get(f"{app}/admin/")  # logged out here too: sent to Wristband again
    wait_for(browser, "body", text="Choose your tenant")
    assert urlsplit(browser.current_url).port == fake.port


def test_a_user_without_a_staff_role_sees_why_and_can_log_out(
    site: tuple[str, FakeWristband], browser: Any
) -> None:
    app, fake = site
    browser.get(f"{app}/admin/")
    log_in_at_wristband(browser, "Acme Member")
    wait_for(browser, "h1", text="No access to the admin")
    assert browser.current_url == f"{app}/admin/login/?next=/admin/"
    text = visible_text(browser)
    assert "You are signed in as member@acme.test, and this account has no access" in text
    e2e.screenshot(browser, "admin-2-no-access.png")

    click(browser, "button[type=submit]")  # "Log out"
    wait_for(browser, "body", text="Acme Member")
    assert at_wristband_login(browser, fake)
    assert seen(fake, "revoke") == 1 and seen(fake, "logout") == 1
