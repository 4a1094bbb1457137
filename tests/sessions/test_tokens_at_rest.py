"""Tokens are encrypted at rest: nothing in Redis or the session table reveals one."""

from __future__ import annotations

import pickle
from dataclasses import asdict
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client

from tests.support.auth_helpers import expire_access_token, log_in, stored_entry, stored_session
from wristband_django.store import session_entry
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME


def tokens_of(client: Client, fake: FakeWristband) -> list[str]:
    """The session's tokens, and the ID tokens the fake issued (validated, never kept)."""
    entry = stored_entry(client)
    assert entry is not None and entry.refresh_token
    return [entry.access_token, entry.refresh_token, *fake.issued_id_tokens()]


def refresh_now(client: Client) -> None:
    """Expire the access token in the store and make a request, so a refresh happens."""
    expire_access_token(client)
    assert client.get("/auth/token/").status_code == 200


def test_redis_holds_no_token(
    client: Client, wristband: FakeWristband, settings: Any, redis_cache: dict[str, str]
) -> None:
    settings.CACHES = {"default": redis_cache}
    log_in(client, wristband)
    refresh_now(client)  # also writes the newest-tokens record beside the session
    tokens = tokens_of(client, wristband)
    server = redis.Redis.from_url(redis_cache["LOCATION"])
    keys = list(server.scan_iter(match=f"{redis_cache['KEY_PREFIX']}:*"))
    assert any(b"tokens" in key for key in keys)  # the newest-tokens record is among them
    assert len(keys) >= 2
    for key in keys:
        raw = server.get(key)
        if raw is None:  # the lock, gone by now
            continue
        readable = raw if not raw.startswith(b"\x80") else repr(pickle.loads(raw)).encode()  # noqa: S301
        for token in tokens:
            assert token.encode() not in raw
            assert token.encode() not in readable


@pytest.mark.django_db
def test_session_table_holds_no_token(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    log_in(client, wristband)
    tokens = tokens_of(client, wristband)
    row = Session.objects.get(session_key=client.cookies[SESSION_COOKIE].value)
    decoded = repr(row.get_decoded())
    assert "wbs2:" in decoded  # the entry is there, sealed
    for token in tokens:
        assert token not in row.session_data
        assert token not in decoded


def test_rotated_key_keeps_sessions_and_a_retired_key_ends_them(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    old, new = "o" * 40, "n" * 40
    settings.WRISTBAND_AUTH = wristband.auth_settings(token_encryption_key=old)
    log_in(client, wristband)
    settings.WRISTBAND_AUTH = wristband.auth_settings(token_encryption_key=[new, old])
    assert client.get("/auth/session/").status_code == 200  # old entries still open
    refresh_now(client)  # re-sealed with the new key
    settings.WRISTBAND_AUTH = wristband.auth_settings(token_encryption_key=new)
    assert client.get("/auth/session/").status_code == 200
    settings.WRISTBAND_AUTH = wristband.auth_settings(token_encryption_key="x" * 40)
    assert client.get("/auth/session/").status_code == 401  # unreadable: log in again


def test_default_key_is_django_secret_key_with_its_fallbacks(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    log_in(client, wristband)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-django-secret-key-0123456789"
    assert client.get("/auth/session/").status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get("/auth/session/").status_code == 401


def test_a_tampered_entry_is_no_session(client: Client, wristband: FakeWristband) -> None:
    log_in(client, wristband)
    session = stored_session(client)
    assert session is not None
    sealed = bytearray(session["_wristband"])  # the cache engine keeps the sealed bytes
    sealed[-1] ^= 1
    session["_wristband"] = bytes(sealed)
    session.save()
    assert client.get("/auth/session/").status_code == 401


def test_an_entry_written_before_the_whole_entry_format_still_opens(
    client: Client, wristband: FakeWristband
) -> None:
    """A deploy must not log everyone out: the earlier format (each token sealed on its own,
    the ID token kept) is read, and rewritten in the current one at the next save."""
    log_in(client, wristband)
    session = stored_session(client)
    entry = stored_entry(client)
    assert session is not None and entry is not None
    earlier = {**asdict(entry), "id_token": wristband.issued_id_tokens()[-1]}
    session["_wristband"] = session_entry.seal_tokens(earlier)
    session.save()
    assert client.get("/auth/session/").json()["userId"] == entry.user_id
    moved = dict(session_entry.seal_tokens(earlier))
    moved["refresh_token"] = moved["access_token"]  # sealed for "access_token"
    session["_wristband"] = moved
    session.save()
    assert client.get("/auth/session/").status_code == 401
