"""Total deadlines: an answer trickled one byte at a time, each byte well within the read
timeout, is cut at the deadline instead of holding a worker for as long as the server likes.

Everything runs against the fake Wristband over real HTTP; nothing of ours is patched.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.support.auth_helpers import log_in, start_login, stored_entry
from wristband_django.conf import parse_auth_config
from wristband_django.deadlines import deadline, remaining
from wristband_django.errors import InvalidGrantError, WristbandTimeoutError
from wristband_django.testing import FakeWristband
from wristband_django.wristband.client import WristbandClient

CALL_TIMEOUT = 1.0
#: Far beyond the deadline; spread over a ~1-3 KB answer, a byte every few milliseconds.
TRICKLE = 6.0
#: Far beyond the byte interval: per-read timeouts alone would let the trickle run its course.
READ_TIMEOUT = 5.0
#: Slack for a loaded CI machine; still far below TRICKLE.
MARGIN = 1.5

pytestmark = pytest.mark.wristband_settings(call_timeout=CALL_TIMEOUT, read_timeout=READ_TIMEOUT)


def direct_client(fake: FakeWristband, **overrides: Any) -> WristbandClient:
    settings = {"read_timeout": READ_TIMEOUT, "call_timeout": 5, **overrides}
    return WristbandClient(parse_auth_config(fake.auth_settings(**settings)))


def timed_callback(client: Client, fake: FakeWristband) -> tuple[HttpResponse, float]:
    """Start a login, let the fake authorize it, and time the callback request alone."""
    callback = urlsplit(fake.authorize(start_login(client)["Location"]))
    started = time.monotonic()
    response = client.get(f"{callback.path}?{callback.query}")
    return response, time.monotonic() - started


def assert_logged_out(client: Client) -> None:
    assert stored_entry(client) is None
    assert client.get("/auth/session/").status_code == 401


# --- the app, through a real login -------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ["token", "userinfo", "jwks"])
def test_a_trickled_answer_during_login_is_cut_at_call_timeout(
    client: Client, wristband: FakeWristband, endpoint: str
) -> None:
    wristband.inject(endpoint, trickle=TRICKLE)
    response, elapsed = timed_callback(client, wristband)
    assert response.status_code == 503 and b"timeout" in response.content
    assert CALL_TIMEOUT * 0.9 <= elapsed < CALL_TIMEOUT + MARGIN  # the deadline, not the trickle
    assert len(wristband.calls(endpoint)) == 1  # the call was made, and cut
    assert_logged_out(client)


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ["token", "userinfo", "jwks"])
def test_a_trickled_answer_that_completes_within_the_deadline_is_accepted(
    client: Client, wristband: FakeWristband, settings: Any, endpoint: str
) -> None:
    # The 1.5 s answer outlasts the 1 s read timeout: only the total deadline (5 s) counts.
    # (Each byte comes within milliseconds; the read timeout leaves room for a starved
    # thread on a busy machine, which a 0.3 s one did not.)
    settings.WRISTBAND_AUTH = wristband.auth_settings(call_timeout=5, read_timeout=1.0)
    wristband.inject(endpoint, trickle=1.5)
    started = time.monotonic()
    response = log_in(client, wristband)
    assert response.status_code == 302 and response["Location"] == "/"
    assert time.monotonic() - started >= 1.5
    entry = stored_entry(client)
    assert entry is not None and entry.user_id == "usr_acme_admin"


@pytest.mark.slow
def test_a_callback_is_bounded_as_a_whole_by_callback_timeout(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    """Each answer alone is within call_timeout; together they are past callback_timeout."""
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        call_timeout=3, callback_timeout=2, read_timeout=READ_TIMEOUT
    )
    wristband.inject("token", trickle=1.5)
    wristband.inject("userinfo", trickle=1.5)
    response, elapsed = timed_callback(client, wristband)
    assert response.status_code == 503
    assert 1.8 <= elapsed < 2 + MARGIN  # the callback's deadline, not 3 s of answers
    assert_logged_out(client)


@pytest.mark.slow
def test_logging_in_works_again_right_after_a_cut(client: Client, wristband: FakeWristband) -> None:
    wristband.inject("userinfo", trickle=TRICKLE)
    assert timed_callback(client, wristband)[0].status_code == 503
    started = time.monotonic()
    assert log_in(client, wristband)["Location"] == "/"
    assert time.monotonic() - started < MARGIN


# --- the client and deadline() -------------------------------------------------------------


@pytest.mark.slow
def test_a_tighter_enclosing_deadline_wins(wristband: FakeWristband) -> None:
    api = direct_client(wristband)  # call_timeout 5 s
    wristband.inject("jwks", trickle=TRICKLE)
    started = time.monotonic()
    with pytest.raises(WristbandTimeoutError) as info, deadline(0.5):
        api.jwks()
    assert 0.45 <= time.monotonic() - started < 0.5 + MARGIN
    assert info.value.request_sent and info.value.retryable
    assert "within the deadline" in info.value.error_description


@pytest.mark.slow
def test_an_inner_looser_deadline_does_not_extend_the_outer_one(wristband: FakeWristband) -> None:
    api = direct_client(wristband)
    wristband.inject("jwks", trickle=TRICKLE)
    started = time.monotonic()
    with pytest.raises(WristbandTimeoutError), deadline(0.5), deadline(30):
        api.jwks()
    assert time.monotonic() - started < 0.5 + MARGIN


@pytest.mark.slow
def test_a_body_trickling_after_quick_headers_is_cut_too(wristband: FakeWristband) -> None:
    api = direct_client(wristband)
    # ~150 bytes of headers arrive in ~20 ms; the 30 KB body would take 3 s.
    wristband.inject("jwks", trickle=3, json={"keys": [], "padding": "x" * 30_000})
    started = time.monotonic()
    with pytest.raises(WristbandTimeoutError) as info, deadline(0.5):
        api.jwks()
    assert time.monotonic() - started < 0.5 + MARGIN
    assert info.value.request_sent
    started = time.monotonic()
    assert api.jwks()["keys"]  # the same client (and pool) answers at once afterwards
    assert time.monotonic() - started < MARGIN


def test_a_passed_deadline_sends_nothing(wristband: FakeWristband) -> None:
    api = direct_client(wristband)
    with pytest.raises(WristbandTimeoutError) as info, deadline(0):
        api.jwks()
    assert not info.value.request_sent
    assert wristband.calls("jwks") == []


@pytest.mark.slow
def test_a_cut_refresh_was_still_processed_by_wristband(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband)
    entry = stored_entry(client)
    assert entry is not None and entry.refresh_token
    api = direct_client(wristband)
    wristband.inject("token", trickle=TRICKLE, grant_type="refresh_token")
    started = time.monotonic()
    with pytest.raises(WristbandTimeoutError) as info, deadline(0.5):
        api.refresh(entry.refresh_token)
    assert time.monotonic() - started < 0.5 + MARGIN
    assert info.value.request_sent  # and it was: Wristband rotated the token while trickling
    with pytest.raises(InvalidGrantError):
        api.refresh(entry.refresh_token)


def test_deadlines_nest_and_belong_to_their_thread() -> None:
    assert remaining() is None
    seen_by_other_thread: list[float | None] = []
    with deadline(10):
        with deadline(2):
            inner = remaining()
            assert inner is not None and 1.5 < inner <= 2
        with deadline(20):
            outer = remaining()
            assert outer is not None and 9.5 < outer <= 10
        thread = threading.Thread(target=lambda: seen_by_other_thread.append(remaining()))
        thread.start()
        thread.join()
    assert remaining() is None
    assert seen_by_other_thread == [None]
