"""The fake's Wristband session per browser: ``prompt=none``, ``prompt=login``, ``max_age``
and the ID token's ``auth_time``, driven over real HTTP by `FakeBrowser`s."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.fake.test_fake_wristband import (
    Login,
    exchange,
    raw_get,
    refresh,
    single_values,
    start_login,
    verify,
)
from wristband_django.testing import FakeWristband
from wristband_django.testing.browser_protocol import SESSION_COOKIE
from wristband_django.testing.fake_browser import FakeBrowser


def id_claims(fake: FakeWristband, login: Login, callback: str) -> dict[str, Any]:
    """The claims of the ID token the callback's code is exchanged for (validated)."""
    params = single_values(callback)
    assert params["state"] == login.state
    response = exchange(fake, login, params["code"])
    assert response.status_code == 200, response.text
    return verify(fake, response.json()["id_token"])


def host_of(fake: FakeWristband, tenant: str) -> str:
    """The tenant host's name, as a browser files its cookies (without the port)."""
    return fake.tenant_host(tenant).rsplit(":", 1)[0]


def logged_in_browser(fake: FakeWristband, user: str = "admin@acme.test") -> FakeBrowser:
    """A browser whose user entered credentials at the fake (acme) just now."""
    browser = fake.new_browser()
    login = start_login(fake)
    with pytest.raises(AssertionError, match="login page"):
        browser.authorize(login.url)  # no session yet: the fake wants credentials
    assert id_claims(fake, login, browser.authorize(login.url, user))["sub"] == fake.user(user).sub
    return browser


def test_prompt_none_without_a_session_answers_login_required(
    fake_wristband: FakeWristband,
) -> None:
    login = start_login(fake_wristband, prompt="none")
    params = single_values(fake_wristband.new_browser().authorize(login.url))
    assert params == {
        "error": "login_required",
        "error_description": "No session",
        "state": login.state,
    }


def test_prompt_none_never_takes_credentials(fake_wristband: FakeWristband) -> None:
    """No page is shown, so the automatic user (what a person would type) is ignored."""
    login = start_login(fake_wristband, prompt="none")
    params = single_values(fake_wristband.authorize(login.url, "admin@acme.test"))
    assert params["error"] == "login_required" and "code" not in params


def test_credentials_start_a_session_and_auth_time_is_when_they_were_entered(
    fake_wristband: FakeWristband,
) -> None:
    before = int(time.time())
    browser = logged_in_browser(fake_wristband)
    assert browser.cookies[host_of(fake_wristband, "acme")][SESSION_COOKIE]
    login = start_login(fake_wristband, prompt="none")
    claims = id_claims(fake_wristband, login, browser.authorize(login.url))  # silent
    assert claims["sub"] == "usr_acme_admin"
    assert before <= claims["auth_time"] <= int(time.time())


def test_prompt_none_with_a_session_logs_in_silently_with_the_sessions_auth_time(
    fake_wristband: FakeWristband,
) -> None:
    browser = logged_in_browser(fake_wristband, "member@acme.test")
    fake_wristband.age_browser_sessions(600)
    login = start_login(fake_wristband, prompt="none")
    claims = id_claims(fake_wristband, login, browser.authorize(login.url))
    assert claims["sub"] == "usr_acme_member"
    assert int(time.time()) - claims["auth_time"] >= 600  # not a new authentication


def test_a_normal_login_with_a_session_asks_nothing(fake_wristband: FakeWristband) -> None:
    browser = logged_in_browser(fake_wristband)
    fake_wristband.age_browser_sessions(100)
    login = start_login(fake_wristband)
    claims = id_claims(fake_wristband, login, browser.authorize(login.url))
    assert int(time.time()) - claims["auth_time"] >= 100


def test_prompt_login_asks_for_credentials_again_and_renews_auth_time(
    fake_wristband: FakeWristband,
) -> None:
    browser = logged_in_browser(fake_wristband)
    fake_wristband.age_browser_sessions(600)
    login = start_login(fake_wristband, prompt="login")
    with pytest.raises(AssertionError, match="login page"):
        browser.authorize(login.url)
    claims = id_claims(fake_wristband, login, browser.authorize(login.url, "admin@acme.test"))
    assert int(time.time()) - claims["auth_time"] <= 2
    later = start_login(fake_wristband, prompt="none")  # the new session is the browser's now
    assert (
        id_claims(fake_wristband, later, browser.authorize(later.url))["auth_time"]
        == (claims["auth_time"])
    )


@pytest.mark.parametrize(("max_age", "asks"), [("300", True), ("0", True), ("900", False)])
def test_max_age_asks_again_only_when_the_last_authentication_is_older(
    fake_wristband: FakeWristband, max_age: str, asks: bool
) -> None:
    browser = logged_in_browser(fake_wristband)
    fake_wristband.age_browser_sessions(600)
    login = start_login(fake_wristband, max_age=max_age)
    if asks:
        with pytest.raises(AssertionError, match="login page"):
            browser.authorize(login.url)
        callback = browser.authorize(login.url, "admin@acme.test")
    else:
        callback = browser.authorize(login.url)
    age = int(time.time()) - id_claims(fake_wristband, login, callback)["auth_time"]
    assert age <= 2 if asks else age >= 600


def test_prompt_none_with_a_too_old_session_is_login_required(
    fake_wristband: FakeWristband,
) -> None:
    browser = logged_in_browser(fake_wristband)
    fake_wristband.age_browser_sessions(600)
    login = start_login(fake_wristband, prompt="none", max_age="300")
    assert single_values(browser.authorize(login.url))["error"] == "login_required"
    fresh = start_login(fake_wristband, prompt="none", max_age="900")
    assert "code" in single_values(browser.authorize(fresh.url))


def test_a_session_is_one_tenants(fake_wristband: FakeWristband) -> None:
    browser = logged_in_browser(fake_wristband)
    login = start_login(fake_wristband, "globex", prompt="none")
    assert single_values(browser.authorize(login.url))["error"] == "login_required"
    acme, globex = (host_of(fake_wristband, name) for name in ("acme", "globex"))
    browser.cookies[globex] = dict(browser.cookies[acme])  # even if the cookie got there
    assert single_values(browser.authorize(login.url))["error"] == "login_required"


def test_another_browser_has_no_session(fake_wristband: FakeWristband) -> None:
    logged_in_browser(fake_wristband)
    login = start_login(fake_wristband, prompt="none")
    assert single_values(fake_wristband.new_browser().authorize(login.url))["error"] == (
        "login_required"
    )


def test_logout_ends_the_browsers_session(fake_wristband: FakeWristband) -> None:
    browser = logged_in_browser(fake_wristband)
    cookies = dict(browser.cookies[host_of(fake_wristband, "acme")])
    host = fake_wristband.tenant_host("acme")
    browser.log_out(f"http://{host}/api/v1/logout?client_id={fake_wristband.client_id}")
    assert not any(browser.cookies.values())
    login = start_login(fake_wristband, prompt="none")
    assert single_values(browser.authorize(login.url))["error"] == "login_required"
    browser.cookies[host_of(fake_wristband, "acme")] = cookies  # ended at the fake, too
    assert single_values(browser.authorize(login.url))["error"] == "login_required"


def test_the_user_pickers_link_starts_a_session_too(fake_wristband: FakeWristband) -> None:
    """What a person's browser does: the picker's link carries the choice, not a header."""
    browser = fake_wristband.new_browser()
    login = start_login(fake_wristband, prompt="login")
    status, _, page = browser.visit(login.url)
    assert status == 200
    link = page.split('href="')[1].split('"')[0].replace("&amp;", "&")
    status, location, _ = browser.visit(f"http://{fake_wristband.tenant_host('acme')}{link}")
    assert status == 302 and location is not None
    assert id_claims(fake_wristband, login, location)["sub"] == "usr_acme_admin"
    silent = start_login(fake_wristband, prompt="none")
    assert "code" in single_values(browser.authorize(silent.url))


def test_refreshed_id_tokens_keep_the_logins_auth_time(fake_wristband: FakeWristband) -> None:
    browser = logged_in_browser(fake_wristband)
    fake_wristband.age_browser_sessions(60)
    login = start_login(fake_wristband)
    params = single_values(browser.authorize(login.url))
    tokens = exchange(fake_wristband, login, params["code"]).json()
    first = verify(fake_wristband, tokens["id_token"])["auth_time"]
    refreshed = refresh(fake_wristband, tokens["refresh_token"]).json()
    assert verify(fake_wristband, refreshed["id_token"])["auth_time"] == first


@pytest.mark.parametrize(
    "params",
    [
        {"prompt": "consent"},
        {"prompt": "login none"},
        {"prompt": ""},
        {"max_age": "-1"},
        {"max_age": "1.5"},
        {"max_age": "ten"},
        {"max_age": ""},
    ],
)
def test_unsupported_prompt_or_max_age_is_invalid_request(
    fake_wristband: FakeWristband, params: dict[str, str]
) -> None:
    login = start_login(fake_wristband, **params)
    answer = single_values(fake_wristband.authorize(login.url))
    assert answer["error"] == "invalid_request" and answer["state"] == login.state


def test_a_repeated_prompt_is_refused(fake_wristband: FakeWristband) -> None:
    login = start_login(fake_wristband, prompt="none")
    response = raw_get(fake_wristband, f"{login.url}&prompt=login")
    assert response.status_code == 400 and "prompt" in response.text
