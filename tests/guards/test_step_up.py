"""Step-up and silent login: the Login endpoint's ``prompt`` and ``max_age``, the session's
``auth_time``, guards with ``max_age`` (pages, APIs, bearer tokens), the callback's
``auth_time`` check, and ``prompt=none`` ending as "not logged in", never a loop.

Logins go through the fake Wristband over HTTP, with a `FakeBrowser` where Wristband's own
session matters: it keeps the fake's session cookie, as a person's browser does."""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.support.auth_helpers import (
    log_in,
    login_cookies,
    query_of,
    start_login,
    stored_entry,
    stored_session,
)
from tests.support.hostile_tokens import claims_of, sign
from tests.support.restart_urls import without_restart
from wristband_django.decorators import wristband_required
from wristband_django.flows import login_state
from wristband_django.store import session_entry
from wristband_django.testing import FakeTenant, FakeWristband
from wristband_django.testing.fake_browser import FakeBrowser

pytestmark = pytest.mark.usefixtures("wristband")

MAX_AGE = 300
BEARER_CHALLENGE = 'Bearer error="insufficient_user_authentication", max_age=300'


def app_login(
    client: Client,
    browser: FakeBrowser,
    query: str = "tenant_name=acme",
    user: str | None = None,
) -> HttpResponse:
    """A login of the app through ``browser`` (its user enters credentials only if asked)."""
    started = start_login(client, query)
    return follow_to_wristband(client, browser, started["Location"], user)


def follow_to_wristband(
    client: Client, browser: FakeBrowser, authorize_url: str, user: str | None = None
) -> HttpResponse:
    callback = urlsplit(browser.authorize(authorize_url, user))
    response: HttpResponse = client.get(f"{callback.path}?{callback.query}")
    return response


def log_in_long_ago(client: Client, fake: FakeWristband, seconds: int = 600) -> FakeBrowser:
    """The user entered credentials at Wristband ``seconds`` ago, and logged in to the app
    since (silently, with that Wristband session)."""
    browser = fake.new_browser()
    assert app_login(client, browser, user="admin@acme.test")["Location"] == "/"
    fake.age_browser_sessions(seconds)
    assert app_login(client, browser)["Location"] == "/"  # asked nothing
    entry = stored_entry(client)
    assert entry is not None and entry.auth_time is not None
    assert time.time() - entry.auth_time >= seconds
    return browser


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


# --- the Login endpoint's prompt and max_age ---------------------------------------------------


def test_login_passes_prompt_and_max_age_to_wristband_and_remembers_them(
    client: Client, wristband: FakeWristband
) -> None:
    response = start_login(client, "tenant_name=acme&prompt=login&max_age=300")
    params = query_of(response["Location"])
    assert params["prompt"] == "login" and params["max_age"] == "300"
    ((name, morsel),) = login_cookies(response).items()
    stored = login_state.decrypt(morsel.value, name, (wristband.client_secret,))
    assert stored is not None and (stored.prompt, stored.max_age) == ("login", 300)


def test_a_login_without_them_sends_neither(client: Client) -> None:
    params = query_of(start_login(client, "tenant_name=acme&prompt=&max_age=")["Location"])
    assert "prompt" not in params and "max_age" not in params


@pytest.mark.parametrize("max_age", ["0", "31536000", "0300"])
def test_max_age_within_the_allow_list_is_accepted(client: Client, max_age: str) -> None:
    params = query_of(start_login(client, f"tenant_name=acme&max_age={max_age}")["Location"])
    assert params["max_age"] == str(int(max_age))


@pytest.mark.parametrize(
    "query",
    [
        "prompt=consent",
        "prompt=LOGIN",
        "prompt=login%20none",
        "max_age=-1",
        "max_age=%2B5",
        "max_age=1.5",
        "max_age=1e3",
        "max_age=0x10",
        "max_age=%205",
        "max_age=5%0A",
        "max_age=%D9%A3",  # an Arabic-Indic digit: a digit to str.isdigit(), not to us
        "max_age=31536001",
        "max_age=" + "9" * 5000,
        "max_age=300&max_age=60",
    ],
)
def test_bad_prompt_or_max_age_is_400_and_starts_nothing(
    client: Client, wristband: FakeWristband, query: str
) -> None:
    response = client.get(f"/auth/login/?tenant_name=acme&{query}")
    assert response.status_code == 400
    assert b"invalid_request" in response.content
    assert not login_cookies(response)
    assert not wristband.calls("authorize")


def test_prompt_none_without_a_tenant_is_not_logged_in_at_once(
    client: Client, wristband: FakeWristband
) -> None:
    response = client.get("/auth/login/?prompt=none&return_url=/home")
    assert response.status_code == 302 and response["Location"] == "/home?wristband_login=none"
    assert not login_cookies(response)


# --- auth_time in the session --------------------------------------------------------------------


def test_the_session_keeps_the_id_tokens_auth_time(
    client: Client, wristband: FakeWristband
) -> None:
    before = int(time.time())
    log_in(client, wristband)
    entry = stored_entry(client)
    assert entry is not None and entry.auth_time is not None
    assert before <= entry.auth_time <= time.time()


def test_a_login_without_max_age_accepts_an_id_token_without_auth_time(
    client: Client, wristband: FakeWristband
) -> None:
    wristband.override_id_token(remove_claims=["auth_time"])
    assert log_in(client, wristband)["Location"] == "/"
    entry = stored_entry(client)
    assert entry is not None and entry.auth_time is None
    response = client.get("/step-up-api/")  # unknown: too old
    assert response.status_code == 401 and response.json()["error"] == "login_required"


def test_a_session_stored_before_auth_time_existed_counts_as_too_old(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband)
    store = stored_session(client)
    assert store is not None
    earlier = stored_entry(client)
    assert earlier is not None
    raw = session_entry.seal_tokens(asdict(earlier))
    del raw["auth_time"]  # what an older release stored (each token sealed on its own)
    store[session_entry.SESSION_KEY] = raw
    store.save()
    entry = stored_entry(client)
    assert entry is not None and entry.auth_time is None
    assert client.get("/decorated/").status_code == 200  # still logged in
    assert client.get("/step-up-api/").status_code == 401


# --- step-up: pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/step-up-page/", "/step-up-mixin-page/"])
def test_a_recent_login_reaches_the_page(
    client: Client, wristband: FakeWristband, path: str
) -> None:
    log_in(client, wristband)
    response = client.get(path)
    assert response.status_code == 200 and response.content == b"sensitive page"


@pytest.mark.parametrize("path", ["/step-up-page/", "/step-up-mixin-page/"])
def test_an_old_login_goes_through_a_login_with_max_age_and_back(
    client: Client, wristband: FakeWristband, path: str
) -> None:
    browser = log_in_long_ago(client, wristband)
    response = client.get(f"{path}?tab=2")
    assert response.status_code == 302
    step_up = response["Location"]
    assert urlsplit(step_up).path == "/auth/login/"
    assert query_of(step_up) == {
        "return_url": f"{path}?tab=2",
        "tenant_name": "acme",
        "max_age": "300",
    }
    login = client.get(relative(step_up))
    assert query_of(login["Location"])["max_age"] == "300"
    with pytest.raises(AssertionError, match="login page"):
        browser.authorize(login["Location"])  # Wristband asks for credentials again
    back = follow_to_wristband(client, browser, login["Location"], "admin@acme.test")
    assert back.status_code == 302 and back["Location"] == f"{path}?tab=2"
    entry = stored_entry(client)
    assert entry is not None and entry.auth_time is not None
    assert time.time() - entry.auth_time < 5
    assert client.get(back["Location"]).content == b"sensitive page"


def test_a_login_within_max_age_at_wristband_is_not_asked_again(
    client: Client, wristband: FakeWristband
) -> None:
    """Wristband's session is recent enough but the app's is not (e.g. a stale copy): the
    step-up login completes silently, and the page opens."""
    browser = log_in_long_ago(client, wristband)
    wristband.age_browser_sessions(-500)  # Wristband: 100 s ago; the app still says 600 s
    response = client.get("/step-up-page/")
    login = client.get(relative(response["Location"]))
    back = follow_to_wristband(client, browser, login["Location"])  # no credentials asked
    assert back["Location"] == "/step-up-page/"
    assert client.get("/step-up-page/").status_code == 200


@pytest.mark.fake_wristband(tenants=[FakeTenant("acme", custom_domain="login.acme.test")])
def test_the_step_up_login_names_the_sessions_custom_domain(
    client: Client, wristband: FakeWristband
) -> None:
    wristband.override_id_token(claims={"auth_time": int(time.time()) - 600})
    log_in(client, wristband, "tenant_custom_domain=login.acme.test")
    wristband.reset_id_token()
    step_up = client.get("/step-up-page/")["Location"]
    assert query_of(step_up)["tenant_custom_domain"] == "login.acme.test"
    login = client.get(relative(step_up))
    assert urlsplit(login["Location"]).netloc == "login.acme.test"
    assert query_of(login["Location"])["max_age"] == "300"


def test_without_a_session_a_page_still_goes_to_a_plain_login(client: Client) -> None:
    response = client.get("/step-up-page/")
    assert response.status_code == 302
    assert query_of(response["Location"]) == {"return_url": "/step-up-page/"}


# --- step-up: APIs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/step-up-api/", "/async-step-up-api/", "/async-step-up-mixin-api/"]
)
def test_an_api_answers_401_login_required_with_a_step_up_login_url(
    client: Client, wristband: FakeWristband, path: str
) -> None:
    browser = log_in_long_ago(client, wristband)
    response = client.get(path)
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]
    assert not response.has_header("WWW-Authenticate")
    body = response.json()
    assert body["error"] == "login_required" and body["maxAge"] == MAX_AGE
    login_url = body["loginUrl"]
    assert login_url.startswith("http://testserver/auth/login/?")
    assert query_of(login_url) == {"return_url": path, "tenant_name": "acme", "max_age": "300"}
    login = client.get(relative(login_url))
    follow_to_wristband(client, browser, login["Location"], "admin@acme.test")
    again = client.get(path)
    assert again.status_code == 200 and again.json()["user"]["userId"] == "usr_acme_admin"


def test_a_recent_login_reaches_the_api(client: Client, wristband: FakeWristband) -> None:
    log_in(client, wristband)
    assert client.get("/step-up-api/").status_code == 200
    assert client.get("/async-step-up-mixin-api/").status_code == 200


def test_no_session_is_still_401_unauthorized(client: Client) -> None:
    response = client.get("/step-up-api/")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


def test_a_missing_role_is_403_before_any_step_up(client: Client, wristband: FakeWristband) -> None:
    wristband.override_id_token(claims={"auth_time": int(time.time()) - 600})
    log_in(client, wristband, user="member@acme.test")
    assert client.get("/step-up-admins/").status_code == 403


def test_max_age_allows_the_clock_skew_leeway_and_no_more(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    """``jwt_leeway`` (60 s by default) applies as to every time claim, in the guard as in
    the callback, so a login the callback accepted is never sent back at once."""
    wristband.override_id_token(claims={"auth_time": int(time.time()) - MAX_AGE - 50})
    log_in(client, wristband)
    assert client.get("/step-up-api/").status_code == 200
    settings.WRISTBAND_AUTH = wristband.auth_settings(jwt_leeway=10)
    assert client.get("/step-up-api/").status_code == 401


# --- step-up: bearer tokens -----------------------------------------------------------------------


def bearer_token(fake: FakeWristband, **claims: Any) -> str:
    """A real access token of the fake, with claims changed (``None`` removes one)."""
    client = Client()
    log_in(client, fake)
    token: str = client.get("/auth/token/").json()["accessToken"]
    merged = {**claims_of(token), **claims}
    return sign(fake, {name: value for name, value in merged.items() if value is not None})


@pytest.mark.parametrize("path", ["/step-up-either/", "/async-step-up-mixin-api/"])
@pytest.mark.parametrize("auth_time", [None, "old"])
def test_a_bearer_token_without_a_recent_auth_time_gets_rfc_9470s_challenge(
    wristband: FakeWristband, path: str, auth_time: str | None
) -> None:
    stale = int(time.time()) - 600 if auth_time else None
    token = bearer_token(wristband, auth_time=stale)
    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == BEARER_CHALLENGE
    body = response.json()
    assert body["error"] == "insufficient_user_authentication" and body["maxAge"] == MAX_AGE
    assert query_of(body["loginUrl"])["max_age"] == "300"
    assert token not in response.content.decode()


def test_a_bearer_token_with_a_recent_auth_time_passes(wristband: FakeWristband) -> None:
    token = bearer_token(wristband, auth_time=int(time.time()) - 10)
    response = Client().get("/step-up-either/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["user"]["by"] == "bearer"


@pytest.mark.parametrize("value", ["yesterday", True, None, 1e400, [1]])
def test_an_unusable_auth_time_claim_counts_as_too_old(
    wristband: FakeWristband, value: Any
) -> None:
    claims = claims_of(bearer_token(wristband))
    claims["auth_time"] = value if value != 1e400 else float("inf")
    token = sign(wristband, claims)
    response = Client().get("/step-up-either/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == BEARER_CHALLENGE


# --- the callback checks auth_time against max_age ----------------------------------------------


@pytest.mark.parametrize(
    "override",
    [{"remove_claims": ["auth_time"]}, {"claims": {"auth_time": 1_000_000}}],
    ids=["no_auth_time", "old_auth_time"],
)
def test_a_max_age_login_refuses_an_id_token_that_does_not_meet_it(
    client: Client, wristband: FakeWristband, override: dict[str, Any]
) -> None:
    wristband.override_id_token(**override)
    response = log_in(client, wristband, "tenant_name=acme&max_age=300&return_url=/x")
    assert response.status_code == 400
    assert b"max_age_exceeded" in response.content and b"max_age=300" in response.content
    assert stored_entry(client) is None
    assert not wristband.calls("userinfo")  # refused before asking anything else


def test_a_max_age_login_with_a_fresh_authentication_completes(
    client: Client, wristband: FakeWristband
) -> None:
    response = log_in(client, wristband, "tenant_name=acme&max_age=0&return_url=/x")
    assert response["Location"] == "/x"
    assert stored_entry(client) is not None


def test_a_restarted_step_up_login_keeps_max_age_and_prompt(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "tenant_name=acme&prompt=login&max_age=300&return_url=/x")
    callback = urlsplit(wristband.authorize(started["Location"]))
    wristband.inject("token", status=400, json={"error": "invalid_grant"})
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302
    assert query_of(without_restart(response["Location"])) == {
        "tenant_name": "acme",
        "return_url": "/x",
        "prompt": "login",
        "max_age": "300",
    }


# --- prompt=none --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("return_url", "landing"),
    [
        ("/home", "/home?wristband_login=none"),
        ("/home%3Ftab%3D2", "/home?tab=2&wristband_login=none"),
        (None, "/?wristband_login=none"),
    ],
)
def test_prompt_none_without_a_wristband_session_ends_not_logged_in(
    client: Client, wristband: FakeWristband, return_url: str | None, landing: str
) -> None:
    query = "tenant_name=acme&prompt=none" + (f"&return_url={return_url}" if return_url else "")
    response = app_login(client, wristband.new_browser(), query)
    assert response.status_code == 302 and response["Location"] == landing
    assert stored_entry(client) is None
    assert [m["max-age"] for m in login_cookies(response).values()] == [0]  # cleared
    assert len(wristband.calls("authorize")) == 1  # no loop: the login is not restarted
    assert not wristband.calls("token")


def test_prompt_none_with_a_wristband_session_logs_in_silently(
    client: Client, wristband: FakeWristband
) -> None:
    browser = wristband.new_browser()
    app_login(Client(), browser, user="member@acme.test")  # another tab, long closed
    response = app_login(client, browser, "tenant_name=acme&prompt=none&return_url=/home")
    assert response["Location"] == "/home"
    entry = stored_entry(client)
    assert entry is not None and entry.user_id == "usr_acme_member"


def test_a_normal_logins_login_required_still_restarts(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "tenant_name=acme&return_url=/x")
    callback = urlsplit(wristband.authorize(started["Location"], error="login_required"))
    response = client.get(f"{callback.path}?{callback.query}")
    assert (
        without_restart(response["Location"])
        == "http://testserver/auth/login/?tenant_name=acme&return_url=%2Fx"
    )


@pytest.mark.parametrize(
    "error", ["interaction_required", "consent_required", "account_selection_required"]
)
def test_prompt_none_ends_not_logged_in_on_every_needs_a_page_error(
    client: Client, wristband: FakeWristband, error: str
) -> None:
    started = start_login(client, "tenant_name=acme&prompt=none&return_url=/x")
    callback = urlsplit(wristband.authorize(started["Location"], error=error))
    response = client.get(f"{callback.path}?{callback.query}")
    assert response["Location"] == "/x?wristband_login=none"


def test_prompt_none_with_another_error_shows_the_error_page(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "tenant_name=acme&prompt=none")
    callback = urlsplit(wristband.authorize(started["Location"], error="access_denied"))
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 400 and b"access_denied" in response.content


# --- declaring max_age --------------------------------------------------------------------------


@pytest.mark.parametrize("max_age", [-1, 31_536_001, True, "300", 1.5])
def test_a_bad_max_age_is_refused_where_the_view_is_declared(max_age: Any) -> None:
    with pytest.raises(ValueError, match="max_age"):
        wristband_required(max_age=max_age)


def test_a_stored_entry_round_trips_auth_time(client: Client, wristband: FakeWristband) -> None:
    log_in(client, wristband)
    store = stored_session(client)
    assert store is not None
    entry = session_entry.load(store)
    assert entry is not None
    session_entry.store(store, replace(entry, auth_time=123))
    loaded = session_entry.load(store)
    assert loaded is not None and loaded.auth_time == 123
