"""Callback outcomes the app can see: the ``login_failed`` signal and the
``CallbackView.login_failed`` hook, with one reason per way a callback logs no one in, and
the WARNING for a login-state cookie lost to the ``Secure`` flag on plain http.

Every callback is a real one, through the fake Wristband over HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.support.auth_helpers import (
    finish_login,
    log_in,
    login_cookies,
    query_of,
    start_login,
    stored_entry,
)
from wristband_django import signals
from wristband_django.signals import LOGIN_FAILURES, LoginFailure
from wristband_django.testing import FakeTenant, FakeWristband
from wristband_django.types import WristbandSession

pytestmark = pytest.mark.usefixtures("wristband")

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def failures() -> Iterator[list[dict[str, Any]]]:
    """Every ``login_failed`` sent during the test, with its sender and arguments."""
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append({"sender": sender, **kwargs})

    signals.login_failed.connect(receiver, sender=WristbandSession)
    yield seen
    signals.login_failed.disconnect(receiver, sender=WristbandSession)


def callback_query(callback_url: str, **changes: str | None) -> str:
    """The callback's path and query, some parameters changed (None removes one)."""
    params = {**query_of(callback_url), **changes}
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"{urlsplit(callback_url).path}?{query}"


def only_failure(failures: list[dict[str, Any]], reason: str) -> dict[str, Any]:
    """The one ``login_failed`` of this test, checked: its reason, sender and arguments,
    and that no secret of the login is in them."""
    assert [failure["reason"] for failure in failures] == [reason]
    (failure,) = failures
    assert failure["sender"] is WristbandSession
    assert set(failure) == {"sender", "signal", "request", "reason", "error", "prompt"}
    assert failure["reason"] in LOGIN_FAILURES
    error = failure["error"]
    assert error.error and isinstance(error.error_description, str)
    return failure


def assert_secrets_absent(failure: dict[str, Any], *secrets: str) -> None:
    shown = repr({name: value for name, value in failure.items() if name != "request"})
    shown += f"{failure['error'].error} {failure['error'].error_description}"
    for secret in secrets:
        assert secret and secret not in shown


# --- one reason per outcome ----------------------------------------------------------------------


def test_a_completed_login_sends_no_login_failed(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    assert log_in(client, wristband)["Location"] == "/"
    assert failures == []


def test_a_missing_login_state_cookie(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    started = start_login(client)
    client.cookies.clear()  # the browser did not send it back
    response = finish_login(client, wristband, started["Location"])
    assert response.status_code == 302 and "/auth/login/" in response["Location"]
    failure = only_failure(failures, LoginFailure.MISSING_LOGIN_STATE)
    assert failure["prompt"] is None and failure["request"].path == "/auth/callback/"


@pytest.mark.parametrize("tamper", ["cookie", "state"])
def test_a_tampered_or_mismatched_login_state(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]], tamper: str
) -> None:
    started = start_login(client)
    ((name, morsel),) = login_cookies(started).items()
    callback = wristband.authorize(started["Location"])
    if tamper == "cookie":
        client.cookies[name] = morsel.value[:-4] + "AAAA"
        path = callback_query(callback)
    else:
        path = callback_query(callback, state="another-tabs-state")
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login/" in response["Location"]
    failure = only_failure(failures, LoginFailure.LOGIN_STATE_MISMATCH)
    assert_secrets_absent(failure, morsel.value, query_of(callback)["code"])
    assert stored_entry(client) is None


@pytest.mark.parametrize("prompt", [None, "none"])
def test_login_required(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]], prompt: str | None
) -> None:
    query = "tenant_name=acme" + (f"&prompt={prompt}" if prompt else "")
    started = start_login(client, query)
    callback = wristband.authorize(started["Location"], error="login_required")
    response = client.get(callback_query(callback))
    expected = "/?wristband_login=none" if prompt else "http://testserver/auth/login/"
    assert response["Location"].startswith(expected)
    failure = only_failure(failures, LoginFailure.LOGIN_REQUIRED)
    assert failure["prompt"] == prompt and failure["error"].error == "login_required"


def test_another_error_from_wristband(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    started = start_login(client, "tenant_name=acme&prompt=login")
    callback = wristband.authorize(
        started["Location"], error="access_denied", error_description="No"
    )
    assert client.get(callback_query(callback)).status_code == 400
    failure = only_failure(failures, LoginFailure.AUTHORIZATION_ERROR)
    assert (failure["error"].error, failure["error"].error_description) == ("access_denied", "No")
    assert failure["prompt"] == "login"


def test_a_callback_without_code(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    started = start_login(client)
    callback = wristband.authorize(started["Location"])
    assert client.get(callback_query(callback, code=None)).status_code == 302
    only_failure(failures, LoginFailure.MISSING_CODE)
    assert not wristband.calls("token")


def test_a_reused_code_is_invalid_grant(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    started = start_login(client)
    ((name, morsel),) = login_cookies(started).items()
    callback = wristband.authorize(started["Location"])
    assert client.get(callback_query(callback))["Location"] == "/"
    client.cookies[name] = morsel.value  # the same login state again: only the code is stale
    response = client.get(callback_query(callback))
    assert response.status_code == 302 and "/auth/login/" in response["Location"]
    failure = only_failure(failures, LoginFailure.INVALID_GRANT)
    assert failure["error"].error == "invalid_grant"
    assert_secrets_absent(failure, query_of(callback)["code"], morsel.value)


def test_a_code_echoed_by_wristband_never_reaches_the_signal(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    started = start_login(client)
    callback = wristband.authorize(started["Location"])
    code = query_of(callback)["code"]
    wristband.inject(
        "token",
        status=400,
        json={"error": "invalid_grant", "error_description": f"code {code} is unknown"},
    )
    response = client.get(callback_query(callback))
    assert code.encode() not in response.content
    failure = only_failure(failures, LoginFailure.INVALID_GRANT)
    assert "[code]" in failure["error"].error_description
    assert_secrets_absent(failure, code)


@pytest.mark.fake_wristband(tenants=[FakeTenant("acme"), FakeTenant("globex")])
def test_a_callback_for_another_tenant(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    started = start_login(client, "tenant_name=acme")
    callback = wristband.authorize(started["Location"])
    response = client.get(callback_query(callback, tenant_name="globex"))
    assert response["Location"].startswith("http://testserver/auth/login/?tenant_name=acme")
    failure = only_failure(failures, LoginFailure.TENANT_MISMATCH)
    assert "tenant_name differs" in failure["error"].error_description
    assert not wristband.calls("token")


def test_a_callback_from_another_issuer(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    started = start_login(client)
    callback = wristband.authorize(started["Location"])
    assert client.get(callback_query(callback, iss="https://evil.test")).status_code == 400
    only_failure(failures, LoginFailure.ISSUER_MISMATCH)


@pytest.mark.parametrize(
    "override",
    [{"claims": {"nonce": "other"}}, {"sign_with": "foreign"}, {"alg": "none"}],
)
def test_a_broken_id_token(
    client: Client,
    wristband: FakeWristband,
    failures: list[dict[str, Any]],
    override: dict[str, Any],
) -> None:
    wristband.override_id_token(**override)
    assert log_in(client, wristband).status_code == 400
    failure = only_failure(failures, LoginFailure.INVALID_ID_TOKEN)
    assert failure["error"].error == "invalid_id_token"
    assert stored_entry(client) is None


def test_an_id_token_older_than_max_age(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    wristband.override_id_token(claims={"auth_time": 1_000_000})
    assert log_in(client, wristband, "tenant_name=acme&max_age=60").status_code == 400
    only_failure(failures, LoginFailure.MAX_AGE_EXCEEDED)


@pytest.mark.parametrize("endpoint", ["token", "userinfo"])
def test_wristband_unavailable(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]], endpoint: str
) -> None:
    wristband.inject(endpoint, status=503, body="<html>down</html>", content_type="text/html")
    assert log_in(client, wristband).status_code == 503
    failure = only_failure(failures, LoginFailure.WRISTBAND_UNAVAILABLE)
    assert failure["error"].retryable


def test_wristband_unavailable_before_the_login_state_is_even_read(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]], settings: Any
) -> None:
    """Auto-configuration (the callback's first call to Wristband) fails."""
    started = start_login(client)
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        client_id="new-client", auto_configure_enabled=True
    )
    wristband.inject("sdk_configuration", status=503, times=None)
    response = finish_login(client, wristband, started["Location"])
    assert response.status_code == 503
    failure = only_failure(failures, LoginFailure.WRISTBAND_UNAVAILABLE)
    assert failure["prompt"] is None


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 200, "json": {"access_token": 5}},
        {"status": 401, "json": {"error": "invalid_client"}},
    ],
    ids=["garbage", "invalid_client"],
)
def test_an_unusable_token_answer(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]], answer: Any
) -> None:
    wristband.inject("token", grant_type="authorization_code", **answer)
    assert log_in(client, wristband).status_code in (400, 502)
    only_failure(failures, LoginFailure.EXCHANGE_FAILED)


def test_a_refused_django_user(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]], settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(authenticate_django_user=True)
    get_user_model().objects.create(username="usr_acme_admin", is_active=False)
    response = log_in(client, wristband)
    assert response.status_code == 403
    assert [m["max-age"] for m in login_cookies(response).values()] == [0]  # cleared
    only_failure(failures, LoginFailure.USER_REFUSED)


def test_the_session_store_down(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]], settings: Any
) -> None:
    started = start_login(client)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = finish_login(client, wristband, started["Location"])
    assert response.status_code == 503 and response["Retry-After"] == "5"
    only_failure(failures, LoginFailure.SESSION_STORE_UNAVAILABLE)


def test_every_reason_is_documented() -> None:
    docs = "".join(
        (DOCS / page).read_text(encoding="utf-8") for page in ("apis.md", "endpoints.md")
    )
    assert len(LOGIN_FAILURES) == 14
    for reason in LOGIN_FAILURES:
        assert f"`{reason}`" in docs, reason


# --- the hook ------------------------------------------------------------------------------------


def test_the_hook_can_replace_the_answer_and_the_signal_still_fires_once(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    started = start_login(client)
    callback = wristband.authorize(started["Location"], error="access_denied")
    response = client.get(callback_query(callback).replace("/auth/callback/", "/hooked-callback/"))
    assert response.status_code == 401
    assert response.json() == {"reason": "authorization_error", "error": "access_denied"}
    assert "no-store" in response["Cache-Control"]
    only_failure(failures, LoginFailure.AUTHORIZATION_ERROR)


def test_the_hook_replaces_a_restart_and_a_silent_logins_return(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    response = client.get("/hooked-callback/?state=nothing-pending&code=x")
    assert response.json() == {"reason": "missing_login_state", "error": "invalid_state"}
    started = start_login(client, "tenant_name=acme&prompt=none")
    callback = wristband.authorize(started["Location"])
    silent = client.get(callback_query(callback).replace("/auth/callback/", "/hooked-callback/"))
    assert silent.json() == {"reason": "login_required", "error": "login_required"}
    assert [f["reason"] for f in failures] == ["missing_login_state", "login_required"]


def test_the_hook_is_not_called_for_a_completed_login(
    client: Client, wristband: FakeWristband, failures: list[dict[str, Any]]
) -> None:
    started = start_login(client, "tenant_name=acme&return_url=/done")
    callback = wristband.authorize(started["Location"])
    response = client.get(callback_query(callback).replace("/auth/callback/", "/hooked-callback/"))
    assert response.status_code == 302 and response["Location"] == "/done"
    assert failures == []


# --- a login-state cookie lost on plain http ------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "secure", "warned"),
    [
        ("app.test", False, True),
        ("app.test:8000", False, True),
        ("10.0.0.5", False, True),
        ("localhost", False, False),
        ("localhost:8000", False, False),
        ("acme.localhost", False, False),
        ("127.0.0.1:8000", False, False),
        ("[::1]:8000", False, False),
        ("app.test", True, False),
    ],
)
def test_a_lost_cookie_on_plain_http_is_a_warning_with_the_fix(
    wristband: FakeWristband, caplog: Any, host: str, secure: bool, warned: bool
) -> None:
    client = Client(HTTP_HOST=host)
    started = start_login(client, secure=secure)
    client.cookies.clear()  # what a browser does with a Secure cookie over plain http
    with caplog.at_level(logging.INFO, logger="wristband_django"):
        response = finish_login(client, wristband, started["Location"], secure=secure)
    assert response.status_code == 302  # still a restart
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    if warned:
        (warning,) = warnings
        assert "dangerously_disable_secure_cookies" in warning.getMessage()
        assert f"http://{host}" in warning.getMessage()
    else:
        assert warnings == []
        assert "without a login-state cookie" in caplog.text


def test_no_warning_once_secure_cookies_are_off(
    wristband: FakeWristband, caplog: Any, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(dangerously_disable_secure_cookies=True)
    client = Client(HTTP_HOST="app.test")
    started = start_login(client)
    client.cookies.clear()
    with caplog.at_level(logging.INFO, logger="wristband_django"):
        finish_login(client, wristband, started["Location"])
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_mismatched_state_is_no_cookie_problem(
    wristband: FakeWristband, caplog: Any, failures: list[dict[str, Any]]
) -> None:
    client = Client(HTTP_HOST="app.test")
    started = start_login(client)
    callback = wristband.authorize(started["Location"])
    with caplog.at_level(logging.INFO, logger="wristband_django"):
        client.get(callback_query(callback, state="other"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    only_failure(failures, LoginFailure.LOGIN_STATE_MISMATCH)
