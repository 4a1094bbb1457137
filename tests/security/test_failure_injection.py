"""Failures injected one at a time: what the user sees, and that nothing is lost or leaked.
Each test records a row for docs/SECURITY.md (scripts/security_figures.py)."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.support import figures
from tests.support.auth_helpers import expire_access_token, finish_login, log_in, start_login
from tests.support.leaks import leaked, secrets_seen
from tests.support.network import free_port
from tests.support.redis_server import ThrowawayRedis
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME

pytestmark = pytest.mark.wristband_settings(
    protected_paths=["/api/"], read_timeout=0.5, refresh_timeout=3
)


def session_alive(client: Client) -> bool:
    return bool(client.get("/auth/session/").status_code == 200)


def record(
    name: str,
    caplog: pytest.LogCaptureFixture,
    fake: FakeWristband,
    clients: list[Client],
    responses: list[Any],
    *,
    user_sees: str,
    session: str,
) -> None:
    seen = secrets_seen(fake, clients)
    text = caplog.text + "".join(visible(response) for response in responses)
    found = leaked(text, seen)
    figures.count("log lines checked", len(caplog.records))
    figures.count("tokens found in logs", len(leaked(caplog.text, seen)))
    figures.scenario(name, user_sees=user_sees, session=session, leaked=len(found))
    assert found == []


def visible(response: Any) -> str:
    """Headers and body, minus the access token the test app's own API view echoes on purpose."""
    if response.get("Content-Type") == "application/json":
        body = {k: v for k, v in response.json().items() if k != "accessToken"}
        return f"{response.serialize_headers().decode('latin-1')}{json.dumps(body)}"
    return str(response.serialize().decode("latin-1"))


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.mark.slow
def test_idp_5xx_that_recovers(client: Client, wristband: FakeWristband, caplog: Any) -> None:
    log_in(client, wristband)
    expire_access_token(client)
    wristband.inject(
        "token", status=502, body="<html>Bad gateway</html>", content_type="text/html", times=2
    )
    response = client.get("/api/whoami/")
    assert response.status_code == 200 and session_alive(client)
    record(
        "Wristband 5xx twice, then fine",
        caplog,
        wristband,
        [client],
        [response],
        user_sees="200 (a refresh after 2 retries, ~0.6 s later)",
        session="kept, refreshed",
    )


@pytest.mark.slow
def test_idp_5xx_that_does_not_recover(
    client: Client, wristband: FakeWristband, caplog: Any
) -> None:
    log_in(client, wristband)
    expire_access_token(client)
    wristband.inject("token", status=500, times=None)
    response = client.get("/api/whoami/")
    assert response.status_code == 401 and not session_alive(client)
    wristband.clear_faults()
    assert log_in(client, wristband)["Location"] == "/"  # logging in again works at once
    record(
        "Wristband 5xx on every refresh attempt",
        caplog,
        wristband,
        [client],
        [response],
        user_sees="401 JSON with loginUrl after 3 attempts",
        session="ended (by design); re-login works",
    )


@pytest.mark.slow
def test_idp_timeouts(client: Client, wristband: FakeWristband, caplog: Any) -> None:
    log_in(client, wristband)
    expire_access_token(client)
    wristband.inject("token", delay=1.0, times=1)  # > read_timeout 0.5 s
    started = time.monotonic()
    response = client.get("/api/whoami/")
    # The grant may have been carried out: never sent again
    # (tests/refresh/test_refresh_single_grant.py)
    assert response.status_code == 401 and time.monotonic() - started < 3
    assert len(wristband.calls("token", grant_type="refresh_token")) == 1
    assert log_in(client, wristband).status_code == 302 and session_alive(client)
    record(
        "Wristband times out once",
        caplog,
        wristband,
        [client],
        [response],
        user_sees="401 after the read timeout, no second grant",
        session="ended; re-login works",
    )


@pytest.mark.slow
def test_connection_refused_then_back(settings: Any, caplog: Any) -> None:
    fake = FakeWristband(
        port=free_port(), login_url="http://testserver/auth/login/", redirect_uri="http://testserver/auth/callback/"
    ).start()  # fmt: skip
    try:
        settings.WRISTBAND_AUTH = fake.auth_settings(protected_paths=["/api/"], refresh_timeout=5)
        client = Client()
        log_in(client, fake)
        expire_access_token(client)
        fake.stop()  # nothing listens: connections are refused
        threading.Timer(0.3, fake.start).start()  # back before the retries run out
        response = client.get("/api/whoami/")
        assert response.status_code == 200 and session_alive(client)
        record(
            "Wristband refuses connections, back 0.3 s later",
            caplog,
            fake,
            [client],
            [response],
            user_sees="200 (retried with backoff)",
            session="kept, refreshed",
        )
    finally:
        fake.stop()


def test_invalid_grant(client: Client, wristband: FakeWristband, caplog: Any) -> None:
    log_in(client, wristband)
    expire_access_token(client)
    wristband.revoke_all()
    response = client.get("/api/whoami/")
    assert response.status_code == 401 and response.json()["loginUrl"]
    assert len(wristband.calls("token", grant_type="refresh_token")) == 1  # no retry
    record(
        "Refresh token revoked (invalid_grant)",
        caplog,
        wristband,
        [client],
        [response],
        user_sees="401 JSON with loginUrl at once",
        session="ended: store entry deleted, cookie expired",
    )


@pytest.mark.slow
def test_redis_stopped_mid_session(
    wristband: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis, caplog: Any
) -> None:
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    client = Client()
    log_in(client, wristband)
    throwaway_redis.stop_keeping_data()
    response = client.get("/api/whoami/")
    assert response.status_code == 503 and SESSION_COOKIE not in response.cookies
    throwaway_redis.start()
    assert session_alive(client)
    record(
        "Redis stopped, then restarted",
        caplog,
        wristband,
        [client],
        [response],
        user_sees="503 JSON session_store_unavailable (Retry-After: 5)",
        session="kept: same cookie works after",
    )


@pytest.mark.slow
@pytest.mark.wristband_settings(refresh_timeout=1, refresh_lock_timeout=10, store_retry_window=6)
def test_redis_restarts_during_a_refresh(
    wristband: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis, caplog: Any
) -> None:
    """Wristband rotated the refresh token, and the store went down before the new tokens
    could be written: the refresh keeps them and writes them when the store is back within
    ``store_retry_window``. The user waits, then gets 200; the session goes on."""
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    client = Client()
    log_in(client, wristband)
    expire_access_token(client)
    refresh = wristband.inject("token", hold=True, grant_type="refresh_token")
    responses: list[Any] = []
    refreshing = threading.Thread(target=lambda: responses.append(client.get("/api/whoami/")))
    refreshing.start()
    assert refresh.arrived.wait(5)  # Wristband has the refresh grant
    throwaway_redis.stop_keeping_data()
    refresh.release()  # and rotates the refresh token; the store is gone meanwhile
    time.sleep(1.0)
    throwaway_redis.start()  # back, with its data, inside the window
    refreshing.join(15)
    (response,) = responses
    assert response.status_code == 200
    expire_access_token(client)
    after = client.get("/api/whoami/")
    assert after.status_code == 200  # the next refresh presents the new refresh token
    record(
        "Redis restarts during a refresh (rotation on), back within store_retry_window",
        caplog,
        wristband,
        [client],
        [response, after],
        user_sees="200 once Redis answers again (the request waits for it)",
        session="kept: the new tokens are written when Redis is back; the next refresh works",
    )


@pytest.mark.slow
@pytest.mark.wristband_settings(refresh_timeout=1, refresh_lock_timeout=4, store_retry_window=0.5)
def test_redis_stops_during_a_refresh_for_longer_than_the_window(
    wristband: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis, caplog: Any
) -> None:
    """Past ``store_retry_window`` (and the lock's life) the new tokens cannot be kept: the
    user sees 503 now and has to log in again once the store is back."""
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    client = Client()
    log_in(client, wristband)
    expire_access_token(client)
    refresh = wristband.inject("token", hold=True, grant_type="refresh_token")
    responses: list[Any] = []
    refreshing = threading.Thread(target=lambda: responses.append(client.get("/api/whoami/")))
    refreshing.start()
    assert refresh.arrived.wait(5)  # Wristband has the refresh grant
    throwaway_redis.stop_keeping_data()
    refresh.release()  # and rotates the refresh token; the store is gone meanwhile
    refreshing.join(10)
    (response,) = responses
    assert response.status_code == 503
    throwaway_redis.start()
    after = client.get("/api/whoami/")
    assert after.status_code == 401  # the stored refresh token was rotated away at Wristband
    assert log_in(client, wristband)["Location"] == "/"
    record(
        "Redis down during a refresh for longer than store_retry_window (rotation on)",
        caplog,
        wristband,
        [client],
        [response, after],
        user_sees="503 now; 401 with loginUrl at the next request once Redis is back",
        session="lost: the rotated refresh token could not be stored; logging in again works",
    )


def test_two_tabs_logging_in_at_once(client: Client, wristband: FakeWristband, caplog: Any) -> None:
    tab_a = start_login(client, "tenant_name=acme&return_url=/a")
    tab_b = start_login(client, "tenant_name=acme&return_url=/b")
    done_b = finish_login(client, wristband, tab_b["Location"])
    done_a = finish_login(client, wristband, tab_a["Location"])
    assert (done_a["Location"], done_b["Location"]) == ("/a", "/b")
    assert session_alive(client)
    record(
        "Two tabs log in at once (finishing in either order)",
        caplog,
        wristband,
        [client],
        [done_a, done_b],
        user_sees="both tabs land on their own return URL",
        session="one session, the last login's",
    )


@pytest.mark.slow
def test_logout_in_one_tab_while_another_refreshes(
    client: Client, wristband: FakeWristband, caplog: Any
) -> None:
    log_in(client, wristband)
    expire_access_token(client)
    slow = wristband.inject("token", delay=0.4, grant_type="refresh_token")  # a slow answer
    other_tab = Client()
    other_tab.cookies = client.cookies
    results: list[Any] = []
    refreshing = threading.Thread(target=lambda: results.append(other_tab.get("/api/whoami/")))
    refreshing.start()
    assert slow.arrived.wait(5)  # the refresh is at Wristband, holding the session's lock
    logout = client.post("/auth/logout/")
    refreshing.join(5)
    assert logout.status_code == 302
    assert not session_alive(client)  # not resurrected by the refresh
    (revoked,) = wristband.calls("revoke")
    refreshed = wristband.calls("token", grant_type="refresh_token")[0]
    assert revoked.form["token"] != refreshed.form["refresh_token"]  # the newest one
    record(
        "Logout in one tab while another refreshes",
        caplog,
        wristband,
        [client],
        [logout, *results],
        user_sees="the refreshing tab gets 200, then everything 401",
        session="ended; the newest refresh token revoked",
    )
