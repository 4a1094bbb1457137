"""A slow refresh keeps its lock: the whole refresh (attempts, backoff, key fetch) ends within
``refresh_timeout``, the lock lives ``refresh_lock_timeout`` (longer), and no second request
ever presents the same refresh token, however slowly Wristband answers."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.test import Client

from tests.support.auth_helpers import expire_access_token, log_in
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.slow  # refreshes that take seconds


def refresh_grants(fake: FakeWristband) -> int:
    return len(fake.calls("token", grant_type="refresh_token"))


def in_background(client: Client, path: str, answers: list[int]) -> threading.Thread:
    thread = threading.Thread(target=lambda: answers.append(client.get(path).status_code))
    thread.start()
    return thread


def expired_session(fake: FakeWristband, settings: Any, **bounds: float) -> Client:
    """A logged-in client whose access token has expired, with these refresh bounds."""
    settings.WRISTBAND_AUTH = fake.auth_settings(protected_paths=["/api/"], **bounds)
    user = Client(raise_request_exception=False)
    log_in(user, fake)
    expire_access_token(user)
    return user


def test_a_refresh_answer_trickled_past_the_deadline_is_cut_and_never_presented_twice(
    wristband: FakeWristband, settings: Any
) -> None:
    """The answer trickles for 9 s, past the lock lifetime the old code derived from the
    refresh timeout (6 s): the refresh is cut at its 1 s deadline, the waiting request finds
    the session ended, and Wristband sees one refresh grant."""
    user = expired_session(
        wristband, settings, read_timeout=0.5, refresh_timeout=1, refresh_lock_timeout=4
    )
    trickled = wristband.inject("token", trickle=9.0, grant_type="refresh_token")
    answers: list[int] = []
    started = time.monotonic()
    first = in_background(user, "/api/whoami/", answers)
    assert trickled.arrived.wait(5)  # the first request's refresh is at Wristband
    second = in_background(user, "/api/whoami/", answers)
    first.join(10)
    second.join(10)
    elapsed = time.monotonic() - started
    assert sorted(answers) == [401, 401]  # the session ended cleanly: no 500, no 503
    assert refresh_grants(wristband) == 1
    assert elapsed < 3.5  # the 1 s deadline, not the 9 s trickle
    assert user.get("/api/whoami/").status_code == 401


def test_a_slow_refresh_within_its_deadline_keeps_the_session_for_the_next_expiry(
    wristband: FakeWristband, settings: Any
) -> None:
    user = expired_session(
        wristband, settings, read_timeout=0.5, refresh_timeout=4, refresh_lock_timeout=7
    )
    trickled = wristband.inject("token", trickle=1.5, grant_type="refresh_token")
    answers: list[int] = []
    first = in_background(user, "/api/whoami/", answers)
    assert trickled.arrived.wait(5)  # the first request's refresh is at Wristband
    others = [in_background(user, "/api/whoami/", answers) for _ in range(4)]
    for thread in [first, *others]:
        thread.join(10)
    assert answers == [200] * 5
    assert refresh_grants(wristband) == 1
    expire_access_token(user)
    assert user.get("/api/whoami/").status_code == 200  # the stored refresh token is the newest
    assert refresh_grants(wristband) == 2


@pytest.mark.fake_wristband(access_token_ttl=3600)
def test_a_slow_key_fetch_during_a_refresh_keeps_the_new_tokens(
    wristband: FakeWristband, settings: Any
) -> None:
    """Wristband rotated its signing key: the refreshed ID token names a new kid, and the
    key fetch trickles past the refresh deadline. The new refresh token is already the only
    valid one, so it is kept (the new ID token goes unchecked): the user stays logged in."""
    user = expired_session(wristband, settings, refresh_timeout=2, refresh_lock_timeout=5)
    wristband.rotate_signing_key()
    wristband.inject("jwks", trickle=6.0)
    started = time.monotonic()
    assert user.get("/api/whoami/").status_code == 200
    assert time.monotonic() - started < 3.5
    expire_access_token(user)
    assert user.get("/api/whoami/").status_code == 200  # no reuse: the new token was stored
    assert refresh_grants(wristband) == 2
