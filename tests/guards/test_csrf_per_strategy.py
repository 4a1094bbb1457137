"""CSRF per strategy on plain Django views (issue 22, point 8).

The decorator, the mixin and ``protected_paths`` check CSRF per caller, as DRF and ninja do:
a request authenticated by a bearer token that carries no session cookie is exempt (no
browser sends an ``Authorization`` header by itself); every other request gets Django's own
CSRF check, so no view needs ``@csrf_exempt``. The matrix: strategy x session cookie x
token x CSRF token x method, with Django's CSRF checks enforced as in production.
"""

from __future__ import annotations

import itertools

import pytest
import pytest_django.fixtures
from django.conf import settings
from django.test import Client

from tests.support.auth_helpers import log_in
from wristband_django.testing import FakeWristband

pytestmark = [
    pytest.mark.urls("tests.guards.tenant_host_urls"),
    pytest.mark.wristband_settings(
        protected_paths=["/api/"], protected_paths_strategies=["session", "bearer"]
    ),
]

#: View -> the strategies it accepts.
VIEWS = {
    "/decorated-bearer/": {"bearer"},
    "/decorated-session/": {"session"},
    "/decorated/": {"session", "bearer"},
    "/async-decorated/": {"session", "bearer"},
    "/mixin/": {"session", "bearer"},
    "/api/protected/": {"session", "bearer"},
}


def expected_status(
    strategies: set[str], cookie: bool, token: bool, csrf: bool, method: str
) -> int:
    authenticated = (cookie and "session" in strategies) or (token and "bearer" in strategies)
    if not authenticated:
        return 401
    exempt = token and "bearer" in strategies and not cookie
    if method == "POST" and not exempt and not csrf:
        return 403
    return 200


@pytest.mark.parametrize("path", list(VIEWS))
def test_csrf_follows_the_strategy_that_authenticated(wristband: FakeWristband, path: str) -> None:
    browser = Client(enforce_csrf_checks=True)
    log_in(browser, wristband)
    token = browser.get("/auth/token/").json()["accessToken"]
    csrf_cookie = browser.cookies[settings.CSRF_COOKIE_NAME].value
    checked = 0
    for cookie, with_token, csrf, method in itertools.product(
        (False, True), (False, True), (False, True), ("GET", "POST")
    ):
        client = browser if cookie else Client(enforce_csrf_checks=True)
        headers = {}
        if with_token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        if csrf:
            client.cookies[settings.CSRF_COOKIE_NAME] = csrf_cookie
            headers["HTTP_X_CSRFTOKEN"] = csrf_cookie
        send = client.post if method == "POST" else client.get
        response = send(path, **headers)
        want = expected_status(VIEWS[path], cookie, with_token, csrf, method)
        assert response.status_code == want, (path, cookie, with_token, csrf, method)
        checked += 1
    assert checked == 16


def test_a_sibling_pages_form_post_with_the_session_cookie_is_refused(
    wristband: FakeWristband,
) -> None:
    """The review's probe: a form POST from another site (here, without the CSRF token) with
    the victim's session cookie, to a view that also takes bearer tokens: 403, not 200."""
    victim = Client(enforce_csrf_checks=True)
    log_in(victim, wristband)
    for path in ("/decorated/", "/mixin/", "/api/protected/"):
        response = victim.post(path, {"amount": "1000"}, HTTP_ORIGIN="http://globex.testserver")
        assert response.status_code == 403, path


def test_the_session_cookie_is_the_one_session_cookie_name_names(
    wristband: FakeWristband, settings: pytest_django.fixtures.SettingsWrapper
) -> None:
    """The name is read once and again when the setting changes: after a change, a cookie
    under the new name makes a bearer POST a session caller's (CSRF checked, 403 without the
    token), and one under the old name is no session cookie (exempt, 200)."""
    browser = Client(enforce_csrf_checks=True)
    log_in(browser, wristband)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {browser.get('/auth/token/').json()['accessToken']}"}
    old_name = settings.SESSION_COOKIE_NAME
    assert Client(enforce_csrf_checks=True).post("/decorated-bearer/", **bearer).status_code == 200
    settings.SESSION_COOKIE_NAME = "renamed_session"
    for name, status in (("renamed_session", 403), (old_name, 200)):
        client = Client(enforce_csrf_checks=True)
        client.cookies[name] = "any-value"
        assert client.post("/decorated-bearer/", **bearer).status_code == status, name
