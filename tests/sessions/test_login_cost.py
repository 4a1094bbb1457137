"""What one login costs the session store: one write of the new session with the login in
it (a fresh key that must not exist: SET NX), the admin's row, nothing more. Counted on a
Redis of the test's own (``INFO commandstats``) and with Django's query capture."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection
from django.dispatch import receiver
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.sessions.refusing_cache import REFUSALS
from tests.support.auth_helpers import finish_login, start_login
from wristband_django import signals
from wristband_django.testing import FakeWristband
from wristband_django.types import WristbandSession

pytestmark = pytest.mark.django_db

#: Connection set-up and introspection, not a round trip a login makes.
NOT_THE_LOGINS = {"hello", "select", "client", "info", "ping"}


def commands(server: Any) -> dict[str, int]:
    stats = redis.Redis.from_url(server.url).info("commandstats")
    counts = {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}
    return {name: count for name, count in counts.items() if name not in NOT_THE_LOGINS}


def log_in_counting(client: Client, fake: FakeWristband, server: Any) -> tuple[dict[str, int], int]:
    started = start_login(client, "tenant_name=acme")
    before = commands(server)
    with CaptureQueriesContext(connection) as queries:
        finish_login(client, fake, started["Location"], None)
    after = commands(server)
    spent = {name: after[name] - before.get(name, 0) for name in after}
    return {name: count for name, count in spent.items() if count}, len(queries)


@pytest.fixture
def redis_sessions(settings: Any, throwaway_redis: Any) -> Any:
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    return throwaway_redis


def test_a_login_is_one_write_plus_the_admin_row(
    wristband: FakeWristband, redis_sessions: Any
) -> None:
    client = Client()
    spent, queries = log_in_counting(client, wristband, redis_sessions)
    assert spent == {"set": 1}  # SET NX of a fresh key: no EXISTS first, as create() asks
    assert queries == 1  # the admin's LoginSession row
    assert client.get("/auth/session/").status_code == 200  # the cookie names that session


@pytest.mark.wristband_settings(track_sessions=False)
def test_without_the_admin_row_no_sql_at_all(wristband: FakeWristband, redis_sessions: Any) -> None:
    client = Client()
    spent, queries = log_in_counting(client, wristband, redis_sessions)
    assert spent == {"set": 1} and queries == 0
    assert client.get("/auth/session/").status_code == 200


def test_what_the_app_adds_at_login_is_saved_too(
    wristband: FakeWristband, redis_sessions: Any
) -> None:
    @receiver(signals.login_completed, sender=WristbandSession)
    def remember_plan(sender: Any, request: Any, wristband_session: Any, **kwargs: Any) -> None:
        request.session["plan"] = "gold"

    try:
        client = Client()
        spent, _ = log_in_counting(client, wristband, redis_sessions)
    finally:
        signals.login_completed.disconnect(remember_plan, sender=WristbandSession)
    assert spent["set"] == 2  # the login's create, then SessionMiddleware's save
    stored: SessionBase = client.session
    assert stored["plan"] == "gold"
    assert client.get("/auth/session/").status_code == 200


@pytest.fixture
def refusing_sessions(settings: Any) -> dict[str, Any]:
    settings.CACHES = {
        "default": {"BACKEND": "tests.sessions.refusing_cache.RefusingLocMemCache"},
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    REFUSALS.update(adds=0, keys=[])
    return REFUSALS


def test_a_taken_key_is_drawn_again(
    wristband: FakeWristband, refusing_sessions: dict[str, Any]
) -> None:
    client = Client()
    started = start_login(client, "tenant_name=acme")
    refusing_sessions.update(adds=1, keys=[])  # the first key drawn is "taken"
    finish_login(client, wristband, started["Location"], None)
    tried = refusing_sessions["keys"]
    assert len(tried) == 2 and tried[0] != tried[1]
    assert client.get("/auth/session/").status_code == 200
    assert tried[1].endswith(client.cookies["sessionid"].value)


def test_a_store_that_takes_no_new_session_answers_503(
    wristband: FakeWristband, refusing_sessions: dict[str, Any]
) -> None:
    client = Client()
    started = start_login(client, "tenant_name=acme")
    refusing_sessions.update(adds=1000)  # a cache that fails silently: every add refused
    response = finish_login(client, wristband, started["Location"], None)
    assert response.status_code == 503 and response["Retry-After"]
    assert not client.cookies.get("sessionid") or not client.cookies["sessionid"].value
    assert client.get("/auth/session/").status_code == 401
