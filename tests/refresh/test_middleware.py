"""WristbandAuthMiddleware in one process: refresh, protection, retries, failures, async,
and the lost-update guard. (Multi-process single-flight: test_refresh_concurrency.py.)"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.db import connection
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext

from tests.support import auth_helpers
from tests.support.auth_helpers import log_in
from tests.support.redis_server import ThrowawayRedis
from tests.support.views import slow_writer
from wristband_django.store.access import session_store
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME

pytestmark = pytest.mark.wristband_settings(
    protected_paths=["/api/"], refresh_timeout=3, read_timeout=1
)


def stored(client: Client) -> dict[str, Any] | None:
    """The Wristband entry as the session store holds it right now (tokens decrypted)."""
    entry = auth_helpers.stored_entry(client)
    return asdict(entry) if entry is not None else None


def expire_access_token(client: Client) -> dict[str, Any]:
    return asdict(auth_helpers.expire_access_token(client))


def refreshes(fake: FakeWristband) -> int:
    return len(fake.calls("token", grant_type="refresh_token"))


def test_valid_token_means_no_outbound_call_and_no_session_write(
    client: Client, wristband: FakeWristband, settings: Any, db: Any
) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    log_in(client, wristband)
    wristband.reset_records()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/whoami/")
    assert response.status_code == 200 and response.json()["userId"] == "usr_acme_admin"
    assert wristband.requests == []
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert statements == ["SELECT"]  # the session read; no UPDATE, no INSERT


def test_valid_token_costs_one_redis_read_and_no_write(
    client: Client, wristband: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis
) -> None:
    # A server of its own: exact counts.
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    log_in(client, wristband)
    server = redis.Redis.from_url(throwaway_redis.url)

    def calls() -> dict[str, int]:
        stats = server.info("commandstats")
        return {
            name: stats.get(f"cmdstat_{name}", {}).get("calls", 0)
            for name in ("get", "set", "setex")
        }

    before = calls()
    assert client.get("/api/whoami/").status_code == 200
    after = calls()
    assert after["get"] - before["get"] == 1
    assert (after["set"], after["setex"]) == (before["set"], before["setex"])


@pytest.mark.fake_wristband(access_token_ttl=120)
def test_expired_token_is_refreshed_before_the_view(
    client: Client, wristband: FakeWristband, session_backend: str
) -> None:
    log_in(client, wristband)
    old = expire_access_token(client)
    response = client.get("/api/whoami/")
    assert response.status_code == 200
    new = stored(client)
    assert new is not None
    assert response.json()["accessToken"] == new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]  # rotation: the new one is kept
    assert new["expires_at"] > time.time() * 1000 + 50_000  # 120 s - 60 s buffer
    assert refreshes(wristband) == 1
    assert client.get("/api/whoami/").status_code == 200 and refreshes(wristband) == 1


@pytest.mark.fake_wristband(rotate_refresh_tokens=False)
def test_without_rotation_the_refresh_token_is_kept(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband)
    old = expire_access_token(client)
    assert client.get("/api/whoami/").status_code == 200
    assert stored(client)["refresh_token"] == old["refresh_token"]  # type: ignore[index]


def test_protected_path_without_session_gets_the_session_endpoints_401(
    client: Client, wristband: FakeWristband
) -> None:
    response = client.get("/api/whoami/")
    assert response.status_code == 401
    assert response.json() == client.get("/auth/session/").json()
    assert response.json()["loginUrl"] == "http://testserver/auth/login/"


def test_unprotected_paths_are_never_blocked(client: Client, wristband: FakeWristband) -> None:
    assert client.get("/open/").json() == {"userId": None}


def test_regex_protected_paths(client: Client, wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(protected_paths=[r"^/op[e]n/$"])
    assert client.get("/open/").status_code == 401
    assert client.get("/api/whoami/").status_code == 200  # no longer protected


@pytest.mark.parametrize("path", ["/decorated/", "/mixin/", "/async-decorated/"])
def test_decorator_and_mixin_answer_401_json(
    client: Client, wristband: FakeWristband, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    log_in(client, wristband)
    assert client.get(path).json()["userId"] == "usr_acme_admin"


@pytest.mark.parametrize("path", ["/decorated-page/", "/async-mixin/"])
def test_decorator_and_mixin_can_redirect_to_login(
    client: Client, wristband: FakeWristband, path: str
) -> None:
    response = client.get(f"{path}?tab=2")
    assert response.status_code == 302
    assert response["Location"] == f"/auth/login/?return_url={path.replace('/', '%2F')}%3Ftab%3D2"


def test_decorator_works_without_the_middleware(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "Wristband" not in m]
    log_in(client, wristband)
    expire_access_token(client)
    assert client.get("/decorated/").status_code == 200
    assert refreshes(wristband) == 1


@pytest.mark.django_db(transaction=True)
def test_async_stack_refreshes_without_synchronous_only_errors(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    browser = Client()
    log_in(browser, wristband)
    expire_access_token(browser)

    async def scenario() -> list[int]:
        client = AsyncClient()
        client.cookies = browser.cookies
        paths = ("/api/async-whoami/", "/async-decorated/", "/async-mixin/")
        statuses = [(await client.get(path)).status_code for path in paths]
        statuses.append((await AsyncClient().get("/api/async-whoami/")).status_code)
        return statuses

    assert async_to_sync(scenario)() == [200, 200, 200, 401]
    assert refreshes(wristband) == 1


@pytest.mark.slow
def test_5xx_is_retried_with_backoff(client: Client, wristband: FakeWristband) -> None:
    log_in(client, wristband)
    expire_access_token(client)
    wristband.inject(
        "token", status=503, body="<html>busy</html>", content_type="text/html", times=2
    )
    started = time.monotonic()
    response = client.get("/api/whoami/")
    assert response.status_code == 200
    assert refreshes(wristband) == 3
    calls = wristband.calls("token")[-3:]
    gaps = [calls[1].at - calls[0].at, calls[2].at - calls[1].at]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # 0.2 s then 0.4 s, jittered down to half
    assert time.monotonic() - started < 3


def test_a_refresh_dropped_after_sending_is_not_retried(
    client: Client, wristband: FakeWristband
) -> None:
    """Wristband may have carried the grant out: its token is never presented again, and the
    session ends (every shape: tests/refresh/test_refresh_single_grant.py)."""
    log_in(client, wristband)
    expire_access_token(client)
    wristband.inject("token", drop=True, times=1)
    assert client.get("/api/whoami/").status_code == 401
    assert refreshes(wristband) == 1


def assert_session_ended(client: Client, response: Any, key: str) -> None:
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert not session_store().exists(key)  # deleted from the store
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie.value == "" and cookie["max-age"] == 0  # and expired in the browser


@pytest.mark.slow
def test_persistent_5xx_ends_the_session_after_three_attempts(
    client: Client, wristband: FakeWristband, session_backend: str
) -> None:
    log_in(client, wristband)
    key = client.cookies[SESSION_COOKIE].value
    expire_access_token(client)
    wristband.inject("token", status=500, times=None)
    response = client.get("/api/whoami/")
    assert refreshes(wristband) == 3
    assert_session_ended(client, response, key)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "invalid_grant", "error_description": "revoked"}),
        (401, {"error": "invalid_client"}),
        (400, {"error": "invalid_request"}),
    ],
)
def test_4xx_is_fatal_at_once_and_logged_without_tokens(
    client: Client,
    wristband: FakeWristband,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: dict[str, str],
) -> None:
    log_in(client, wristband)
    key = client.cookies[SESSION_COOKIE].value
    tokens = expire_access_token(client)
    wristband.inject("token", status=status, json=body, grant_type="refresh_token")
    caplog.set_level(logging.DEBUG)
    response = client.get("/api/whoami/")
    assert refreshes(wristband) == 1  # no retry
    assert_session_ended(client, response, key)
    warning = [
        r for r in caplog.records if r.levelno == logging.WARNING and "refresh" in r.getMessage()
    ]
    assert warning and body["error"] in warning[0].getMessage()
    secrets = (tokens["access_token"], tokens["refresh_token"], *wristband.issued_id_tokens(), key)
    for value in secrets:
        assert value not in caplog.text


def test_revoked_family_ends_the_session(client: Client, wristband: FakeWristband) -> None:
    log_in(client, wristband)
    key = client.cookies[SESSION_COOKIE].value
    expire_access_token(client)
    wristband.revoke_all()
    assert_session_ended(client, client.get("/api/whoami/"), key)


@pytest.mark.slow
def test_refresh_is_bounded_in_time(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        protected_paths=["/api/"], refresh_timeout=1.0, read_timeout=0.7, refresh_max_attempts=5
    )
    log_in(client, wristband)
    expire_access_token(client)
    wristband.inject("token", delay=5, times=None, grant_type="refresh_token")
    started = time.monotonic()
    response = client.get("/api/whoami/")
    assert time.monotonic() - started < 1.6
    assert response.status_code == 401


@pytest.mark.parametrize(
    "claims",
    [{"sub": "usr_someone_else"}, {"iss": "https://evil.example"}, {"aud": "another-client"}],
    ids=["sub", "iss", "aud"],
)
def test_refreshed_id_token_must_keep_iss_sub_and_aud(
    client: Client, wristband: FakeWristband, claims: dict[str, str]
) -> None:
    log_in(client, wristband)
    key = client.cookies[SESSION_COOKIE].value
    expire_access_token(client)
    wristband.override_id_token(claims=claims)
    assert_session_ended(client, client.get("/api/whoami/"), key)


@pytest.mark.parametrize("backend", ["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def test_concurrent_requests_in_one_process_refresh_once(
    wristband: FakeWristband, settings: Any, request: pytest.FixtureRequest, backend: str
) -> None:
    if backend == "redis":
        settings.CACHES = {"default": request.getfixturevalue("redis_cache")}
    first = Client()
    log_in(first, wristband)
    expire_access_token(first)
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def call() -> None:
        client = Client()
        client.cookies = first.cookies
        barrier.wait()
        statuses.append(client.get("/api/whoami/").status_code)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 10
    assert refreshes(wristband) == 1


def test_a_slow_request_does_not_write_old_tokens_back(
    client: Client, wristband: FakeWristband
) -> None:
    """Forced interleaving: A reads the session, B refreshes, A saves its own change."""
    log_in(client, wristband)
    slow_writer.loaded.clear()
    slow_writer.release.clear()
    results: dict[str, Any] = {}

    def request_a() -> None:
        other = Client()
        other.cookies = client.cookies
        results["a"] = other.get("/api/slow-write/")

    thread = threading.Thread(target=request_a)
    thread.start()
    assert slow_writer.loaded.wait(5)  # A holds the tokens of the login
    old = expire_access_token(client)
    assert client.get("/api/whoami/").status_code == 200  # B refreshes (rotation)
    refreshed = stored(client)
    slow_writer.release.set()
    thread.join(5)
    assert results["a"].json()["refreshTokenSeen"] == old["refresh_token"]
    after = stored(client)
    assert after is not None
    assert after["refresh_token"] == refreshed["refresh_token"]  # type: ignore[index]
    assert client.session["cart"] == ["book"]  # A's own change landed too
    expire_access_token(client)
    assert client.get("/api/whoami/").status_code == 200  # the next rotation still works
    assert refreshes(wristband) == 2


@pytest.mark.slow
def test_logout_during_refresh_revokes_the_newest_refresh_token(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband)
    expire_access_token(client)
    slow = wristband.inject("token", delay=0.5, grant_type="refresh_token")  # a slow answer
    refresher = Client()
    refresher.cookies = client.cookies
    thread = threading.Thread(target=lambda: refresher.get("/api/whoami/"))
    thread.start()
    assert slow.arrived.wait(5)  # the refresh is in flight, holding the lock
    client.post("/auth/logout/")
    thread.join(5)
    (revoke,) = wristband.calls("revoke")
    newest = wristband.calls("token", grant_type="refresh_token")
    assert len(newest) == 1
    # The token revoked is the one the refresh produced, not the login's (already rotated).
    login_refresh = wristband.calls("token", grant_type="authorization_code")
    assert login_refresh and revoke.form["token"] != newest[0].form["refresh_token"]
    assert client.get("/auth/session/").status_code == 401
