"""Tokens outside a request (``wristband_django.sessions``): what a Celery task gets for a
session key, sharing the lock, the newest tokens and the failure rules with the middleware;
and, across processes, a worker and an app server refreshing one session at the same moment.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from tests.deployment.outside_servers import Worker, app_server, log_in_over_http
from tests.support.auth_helpers import expire_access_token, log_in, stored_entry
from tests.support.network import free_port
from tests.support.redis_server import ThrowawayRedis
from wristband_django import signals
from wristband_django.errors import StoreUnavailableError
from wristband_django.sessions import SessionEndedError, access_token, end_session, get_session
from wristband_django.store.access import session_store
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME

pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"])


def key_of(client: Client) -> str:
    return str(client.cookies[SESSION_COOKIE].value)


def refreshes(fake: FakeWristband) -> list[Any]:
    return fake.calls("token", grant_type="refresh_token")


@pytest.fixture
def received() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    names = ("tokens_refreshed", "refresh_failed", "logged_out")
    receivers = {}
    for name in names:
        receivers[name] = lambda sender, name=name, **kwargs: events.append((name, kwargs))
        getattr(signals, name).connect(receivers[name])
    yield events
    for name in names:
        getattr(signals, name).disconnect(receivers[name])


def test_a_valid_token_is_returned_without_calling_wristband(
    client: Client, wristband: FakeWristband, session_backend: str
) -> None:
    log_in(client, wristband)
    entry = stored_entry(client)
    assert entry is not None
    wristband.reset_records()
    assert access_token(key_of(client)) == entry.access_token
    session = get_session(key_of(client))
    assert session is not None and session.user_id == "usr_acme_admin"
    assert wristband.requests == []  # no refresh, no other call


def test_an_expired_token_is_refreshed_once_and_the_browser_then_uses_it(
    client: Client,
    wristband: FakeWristband,
    session_backend: str,
    received: list[tuple[str, dict[str, Any]]],
) -> None:
    log_in(client, wristband)
    key = key_of(client)
    old = expire_access_token(client)
    token = access_token(key)
    assert token != old.access_token and len(refreshes(wristband)) == 1
    assert [(name, kwargs["request"]) for name, kwargs in received] == [("tokens_refreshed", None)]
    rotated = stored_entry(client)
    assert rotated is not None and rotated.refresh_token != old.refresh_token

    response = client.get("/api/whoami/")  # the browser's next request: no second refresh
    assert response.status_code == 200 and response.json()["accessToken"] == token
    assert access_token(key) == token
    assert len(refreshes(wristband)) == 1

    expire_access_token(client)  # next expiry: the browser refreshes with the rotated token
    response = client.get("/api/whoami/")
    assert response.status_code == 200 and response.json()["accessToken"] != token
    calls = refreshes(wristband)
    assert len(calls) == 2 and calls[1].form["refresh_token"] == rotated.refresh_token


def test_a_refresh_that_cannot_succeed_ends_the_session_and_raises(
    client: Client,
    wristband: FakeWristband,
    session_backend: str,
    received: list[tuple[str, dict[str, Any]]],
) -> None:
    log_in(client, wristband)
    key = key_of(client)
    expire_access_token(client)
    wristband.revoke_all()  # the token family is revoked: invalid_grant
    with pytest.raises(SessionEndedError) as raised:
        access_token(key)
    assert raised.value.error == "session_ended"
    assert len(refreshes(wristband)) == 1  # final at once, no retry
    assert not session_store().exists(key)  # ended in the store
    assert get_session(key) is None
    response = client.get("/api/whoami/")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    ((name, kwargs),) = received
    assert name == "refresh_failed" and kwargs["request"] is None
    assert kwargs["user_id"] == "usr_acme_admin" and kwargs["error"].error == "invalid_grant"


@pytest.mark.parametrize(
    "key",
    [
        "nosuchsession0123456789abcdefgh",  # well-formed, never issued
        "short",  # Django refuses keys under 8 characters
        "x" * 500,  # no cache would take it as a key
        "has spaces in it",
        "ünïcødé-sessïøn-këy",
    ],
)
def test_an_unknown_or_unusable_session_key_is_an_ended_session(
    wristband: FakeWristband, session_backend: str, key: str
) -> None:
    with pytest.raises(SessionEndedError):
        access_token(key)
    assert get_session(key) is None
    end_session(key)  # nothing to end is not an error
    assert wristband.requests == []


def test_a_session_key_must_be_a_string(wristband: FakeWristband) -> None:
    with pytest.raises(TypeError):
        access_token(None)  # type: ignore[arg-type]


def test_end_session_revokes_and_the_browsers_next_request_is_401(
    client: Client,
    wristband: FakeWristband,
    session_backend: str,
    received: list[tuple[str, dict[str, Any]]],
) -> None:
    log_in(client, wristband)
    key = key_of(client)
    entry = stored_entry(client)
    assert entry is not None and entry.refresh_token
    end_session(key)
    (revoke,) = wristband.calls("revoke")
    assert revoke.form["token"] == entry.refresh_token
    assert not session_store().exists(key)
    response = client.get("/api/whoami/")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert client.get("/auth/session/").status_code == 401
    with pytest.raises(SessionEndedError):
        access_token(key)
    end_session(key)  # again: nothing left, nothing revoked
    assert len(wristband.calls("revoke")) == 1
    assert [(name, kwargs["request"], kwargs["user_id"]) for name, kwargs in received] == [
        ("logged_out", None, "usr_acme_admin")
    ]


def test_end_session_revokes_the_refresh_token_a_worker_rotated(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband)
    key = key_of(client)
    expire_access_token(client)
    access_token(key)  # rotates the refresh token
    rotated = stored_entry(client)
    assert rotated is not None
    end_session(key)
    (revoke,) = wristband.calls("revoke")
    assert revoke.form["token"] == rotated.refresh_token


def test_sessions_kept_in_the_browser_are_refused(wristband: FakeWristband, settings: Any) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    for call in (access_token, get_session, end_session):
        with pytest.raises(ImproperlyConfigured, match="signed_cookies"):
            call("anything-at-all-0123456789")


@pytest.mark.slow
def test_the_store_down_is_store_unavailable_and_ends_nothing(
    wristband: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis
) -> None:
    settings.CACHES = {"default": throwaway_redis.cache_settings(0.5)}
    client = Client()
    log_in(client, wristband)
    key = key_of(client)
    entry = stored_entry(client)
    assert entry is not None
    throwaway_redis.stop_keeping_data()
    for call in (access_token, get_session, end_session):
        with pytest.raises(StoreUnavailableError):
            call(key)
    assert wristband.calls("revoke") == []
    throwaway_redis.start()
    assert access_token(key) == entry.access_token  # the same session, still there
    assert client.get("/api/whoami/").status_code == 200


# --- across processes ----------------------------------------------------------------------


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("first", ["worker", "request"])
def test_a_worker_and_a_request_refreshing_at_once_make_one_refresh(
    redis_cache: dict[str, str], first: str
) -> None:
    """Wristband holds the first refresh until both are in flight: the second waits for the
    session's lock in its own process, then uses the tokens the first one stored."""
    port = free_port()
    with FakeWristband(
        login_url=f"http://127.0.0.1:{port}/auth/login/",
        redirect_uri=f"http://127.0.0.1:{port}/auth/callback/",
        access_token_ttl=60,  # minus the 60 s buffer: expired as soon as it is issued
    ) as fake:
        auth = fake.auth_settings(
            protected_paths=["/api/"],
            dangerously_disable_secure_cookies=True,
            track_sessions=False,  # these processes have no migrated database
        )
        env = {
            "DJANGO_SETTINGS_MODULE": "tests.support.server_settings",
            "REDIS_URL": redis_cache["LOCATION"],
            "REDIS_KEY_PREFIX": redis_cache["KEY_PREFIX"],
            "WRISTBAND_TEST_AUTH": json.dumps(auth),
        }
        with app_server(port, env) as base:
            browser = log_in_over_http(base, fake)
            cookie = browser.cookies["sessionid"]
            fake.access_token_ttl = 3600
            held = fake.inject("token", hold=True, grant_type="refresh_token")
            answers: list[requests.Response] = []
            request = threading.Thread(
                target=lambda: answers.append(
                    requests.get(f"{base}/api/whoami/", cookies={"sessionid": cookie}, timeout=60)
                )
            )
            worker: Worker | None = None
            try:
                if first == "worker":
                    worker = Worker(cookie, env)
                    worker.wait_until_calling()
                    assert held.arrived.wait(30)  # the worker's refresh is at Wristband
                    request.start()
                    time.sleep(1.0)  # the request is in the app server, waiting for the lock
                    assert request.is_alive()
                else:
                    request.start()
                    assert held.arrived.wait(30)  # the request's refresh is at Wristband
                    worker = Worker(cookie, env)
                    worker.wait_until_calling()
                    time.sleep(1.0)  # the worker is waiting for the lock
                    assert worker.is_running()
                assert len(refreshes(fake)) == 1  # the second one did not go to Wristband
                held.release()
                request.join(30)
                result = worker.result()
            finally:
                held.release()
                if worker is not None:
                    worker.kill()

            (answer,) = answers
            assert answer.status_code == 200
            assert result.get("token_sha256") == digest(answer.json()["accessToken"])
            assert result["pid"] != answer.json()["pid"]  # two processes
            assert len(refreshes(fake)) == 1  # Wristband saw one refresh

            after = requests.get(f"{base}/api/whoami/", cookies={"sessionid": cookie}, timeout=10)
            assert after.status_code == 200
            assert after.json()["accessToken"] == answer.json()["accessToken"]
            assert len(refreshes(fake)) == 1
