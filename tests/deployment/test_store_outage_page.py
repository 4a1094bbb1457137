"""In DEBUG, the error page of a session store that does not answer names the stores, with
their backend and ``LOCATION`` (a password redacted), so that the newcomer without Redis sees
what to start or change; outside DEBUG it names nothing (issue 25, point 1)."""

from __future__ import annotations

import html
from typing import Any

from django.test import Client

from tests.support.auth_helpers import log_in
from tests.support.network import free_port
from wristband_django.testing import FakeWristband

PASSWORD = "s3cret-redis-password"
PUBLIC_DESCRIPTION = "Sessions are temporarily unavailable; try again shortly."


def closed_redis(port: int) -> dict[str, Any]:
    """Django's RedisCache at a port nothing listens on, as the quickstart's Redis without a
    Redis server; the URL carries a password."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://:{PASSWORD}@127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


def login_page(wristband: FakeWristband) -> str:
    """Log in through the fake: the Callback cannot store the session; its page's text."""
    response = log_in(Client(), wristband)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    return html.unescape(response.content.decode())


def test_in_debug_the_page_names_the_store_that_did_not_answer(
    wristband: FakeWristband, settings: Any
) -> None:
    port = free_port()
    settings.CACHES = {"default": closed_redis(port)}
    settings.DEBUG = True
    page = login_page(wristband)
    assert "session_store_unavailable" in page
    assert (
        f"{PUBLIC_DESCRIPTION} (DEBUG) Where they are kept: sessions and refresh lock: cache "
        "'default' (django.core.cache.backends.redis.RedisCache at "
        f"redis://***@127.0.0.1:{port}/0)."
    ) in page
    assert PASSWORD not in page


def test_in_debug_each_store_is_named_with_what_it_holds(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": closed_redis(free_port()),
    }
    settings.SESSION_CACHE_ALIAS = "sessions"
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "lock_cache_alias": "default"}
    settings.DEBUG = True
    page = login_page(wristband)
    assert (
        "Where they are kept: sessions: cache 'sessions' (django.core.cache.backends.redis."
        "RedisCache at redis://***@127.0.0.1:"
    ) in page
    lock = "refresh lock: cache 'default' (django.core.cache.backends.locmem.LocMemCache)"
    assert f"; {lock}." in page


def test_outside_debug_the_page_names_no_server(wristband: FakeWristband, settings: Any) -> None:
    settings.CACHES = {"default": closed_redis(free_port())}
    page = login_page(wristband)
    assert PUBLIC_DESCRIPTION in page
    for detail in ("(DEBUG)", "Where they are kept", "RedisCache", "127.0.0.1", "redis://"):
        assert detail not in page
