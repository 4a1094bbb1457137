"""Memcached unreachable (paused so it times out, or stopped): protected requests get 503,
never 401, a 500 or a deleted cookie, and the same cookie works again once Memcached is back.

The cache is Django's PyMemcacheCache with its defaults for pymemcache's HashClient, which
does not ask a server that failed within ``retry_timeout`` (1 s) and answers "not found"
instead, and after ``retry_attempts`` (2) more failures drops it for ``dead_timeout`` (60 s)
("All servers seem to be down right now"). Only the socket timeouts are ours: 0.5 s.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.support.auth_helpers import log_in
from tests.support.memcached_server import SOCKET_TIMEOUT, ThrowawayMemcached
from wristband_django.testing import FakeWristband

SESSION_COOKIE = "sessionid"
#: How long HashClient leaves a failed server alone (Django's default for pymemcache).
RETRY_TIMEOUT = 1.0

pytestmark = pytest.mark.slow  # throwaway servers, stopped and paused


@pytest.fixture
def client_on_throwaway_memcached(
    throwaway_memcached: ThrowawayMemcached, wristband: FakeWristband, settings: Any
) -> Client:
    settings.CACHES = {"default": throwaway_memcached.cache_settings()}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.WRISTBAND_AUTH = wristband.auth_settings(protected_paths=["/api/"])
    client = Client()
    log_in(client, wristband)
    assert client.get("/api/whoami/").status_code == 200
    return client


def timed_get(client: Client, path: str) -> tuple[HttpResponse, float]:
    started = time.monotonic()
    response: HttpResponse = client.get(path)
    return response, time.monotonic() - started


def assert_unavailable(response: HttpResponse) -> None:
    assert response.status_code == 503, (response.status_code, response.content)
    assert response.json()["error"] == "session_store_unavailable"
    assert response["Retry-After"] == "5"
    assert SESSION_COOKIE not in response.cookies  # the cookie is kept, not expired


def assert_back(client: Client, within: float) -> None:
    """Until the client skips the server no more: 503 (never 401, never a deleted cookie),
    then the same cookie's session."""
    deadline = time.monotonic() + within
    while True:
        response = client.get("/api/whoami/")
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        assert_unavailable(response)
        time.sleep(0.1)
    assert response.status_code == 200, (response.status_code, response.content)
    assert response.json()["userId"] == "usr_acme_admin"


def test_paused_memcached_gives_503_within_the_socket_timeout_and_recovers(
    client_on_throwaway_memcached: Client, throwaway_memcached: ThrowawayMemcached
) -> None:
    client = client_on_throwaway_memcached
    throwaway_memcached.pause()
    try:
        response, elapsed = timed_get(client, "/api/whoami/")  # TimeoutError after 0.5 s
        assert_unavailable(response)
        assert elapsed < SOCKET_TIMEOUT + 0.3, elapsed
        # HashClient now answers "not found" without asking: still an outage, not a logout.
        response, elapsed = timed_get(client, "/api/whoami/")
        assert_unavailable(response)
        assert elapsed < SOCKET_TIMEOUT + 0.3, elapsed
        assert_unavailable(client.get("/auth/session/"))  # JSON endpoints agree
        response = client.get("/open/")  # unprotected pages are not blocked
        assert response.status_code == 200 and SESSION_COOKIE not in response.cookies
    finally:
        throwaway_memcached.resume()
    assert_back(client, within=RETRY_TIMEOUT + 2)


def test_stopped_memcached_gives_503_and_keeps_the_cookie(
    client_on_throwaway_memcached: Client, throwaway_memcached: ThrowawayMemcached
) -> None:
    client = client_on_throwaway_memcached
    throwaway_memcached.stop()
    for _ in range(2):  # refused, then skipped by HashClient: both an outage
        response, elapsed = timed_get(client, "/api/whoami/")
        assert_unavailable(response)
        assert elapsed < SOCKET_TIMEOUT + 0.3, elapsed
    assert_unavailable(client.get("/auth/session/"))
    # Memcached keeps sessions in memory only: a restarted server has none. Once HashClient
    # asks it again, the session is gone: 401, not a 500 or an endless 503.
    throwaway_memcached.start()
    time.sleep(RETRY_TIMEOUT + 0.1)
    assert client.get("/api/whoami/").status_code == 401


@pytest.mark.parametrize(
    ("options", "recovers_at_once"),
    [
        # After one failure the server is dead for dead_timeout: every call raises
        # MemcacheError("All servers seem to be down right now"), even once it is back.
        pytest.param({"retry_attempts": 0}, False, id="dead-for-60s"),
        # Dead, then back in the pool at the next call: every call asks the server.
        pytest.param({"retry_attempts": 0, "dead_timeout": 0}, True, id="asks-every-time"),
    ],
)
def test_memcached_marked_dead_by_pymemcache_gives_503(
    client_on_throwaway_memcached: Client,
    throwaway_memcached: ThrowawayMemcached,
    settings: Any,
    options: dict[str, Any],
    recovers_at_once: bool,
) -> None:
    cache = throwaway_memcached.cache_settings()
    settings.CACHES = {"default": {**cache, "OPTIONS": {**cache["OPTIONS"], **options}}}
    client = Client()
    client.cookies = client_on_throwaway_memcached.cookies
    assert client.get("/api/whoami/").status_code == 200
    throwaway_memcached.pause()
    try:
        for _ in range(2):  # a timeout, then the dead server (or, asked again, a timeout)
            response, elapsed = timed_get(client, "/api/whoami/")
            assert_unavailable(response)
            assert elapsed < SOCKET_TIMEOUT + 0.3, elapsed
    finally:
        throwaway_memcached.resume()
    if recovers_at_once:
        response = client.get("/api/whoami/")
        assert response.status_code == 200 and response.json()["userId"] == "usr_acme_admin"
    else:
        assert_unavailable(client.get("/api/whoami/"))
