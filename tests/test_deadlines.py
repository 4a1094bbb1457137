"""Total deadlines: an answer trickled one byte at a time, each byte well within the read
timeout, is cut at the deadline instead of holding a worker for as long as the server likes.

Everything runs against the fake Wristband over real HTTP; nothing of ours is patched.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.auth_helpers import log_in, start_login, stored_entry
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


@pytest.fixture
def fake(wristband: FakeWristband, settings: Any) -> FakeWristband:
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        call_timeout=CALL_TIMEOUT, read_timeout=READ_TIMEOUT
    )
    return wristband


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


@pytest.mark.parametrize("endpoint", ["token", "userinfo", "jwks"])
def test_a_trickled_answer_during_login_is_cut_at_call_timeout(
    client: Client, fake: FakeWristband, endpoint: str
) -> None:
    fake.inject(endpoint, trickle=TRICKLE)
    response, elapsed = timed_callback(client, fake)
    assert response.status_code == 503 and b"timeout" in response.content
    assert CALL_TIMEOUT * 0.9 <= elapsed < CALL_TIMEOUT + MARGIN  # the deadline, not the trickle
    assert len(fake.calls(endpoint)) == 1  # the call was made, and cut
    assert_logged_out(client)


@pytest.mark.parametrize("endpoint", ["token", "userinfo", "jwks"])
def test_a_trickled_answer_that_completes_within_the_deadline_is_accepted(
    client: Client, wristband: FakeWristband, settings: Any, endpoint: str
) -> None:
    # The 0.5 s answer outlasts the 0.3 s read timeout: only the total deadline (3 s) counts.
    settings.WRISTBAND_AUTH = wristband.auth_settings(call_timeout=3, read_timeout=0.3)
    wristband.inject(endpoint, trickle=0.5)
    started = time.monotonic()
    response = log_in(client, wristband)
    assert response.status_code == 302 and response["Location"] == "/"
    assert time.monotonic() - started >= 0.5
    entry = stored_entry(client)
    assert entry is not None and entry.user_id == "usr_acme_admin"


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


def test_logging_in_works_again_right_after_a_cut(client: Client, fake: FakeWristband) -> None:
    fake.inject("userinfo", trickle=TRICKLE)
    assert timed_callback(client, fake)[0].status_code == 503
    started = time.monotonic()
    assert log_in(client, fake)["Location"] == "/"
    assert time.monotonic() - started < MARGIN


# --- the client and deadline() -------------------------------------------------------------


def test_a_tighter_enclosing_deadline_wins(fake: FakeWristband) -> None:
    wristband = direct_client(fake)  # call_timeout 5 s
    fake.inject("jwks", trickle=TRICKLE)
    started = time.monotonic()
    with pytest.raises(WristbandTimeoutError) as info, deadline(0.5):
        wristband.jwks()
    assert 0.45 <= time.monotonic() - started < 0.5 + MARGIN
    assert info.value.request_sent and info.value.retryable
    assert "within the deadline" in info.value.error_description


def test_an_inner_looser_deadline_does_not_extend_the_outer_one(fake: FakeWristband) -> None:
    wristband = direct_client(fake)
    fake.inject("jwks", trickle=TRICKLE)
    started = time.monotonic()
    with pytest.raises(WristbandTimeoutError), deadline(0.5), deadline(30):
        wristband.jwks()
    assert time.monotonic() - started < 0.5 + MARGIN


def test_a_body_trickling_after_quick_headers_is_cut_too(fake: FakeWristband) -> None:
    wristband = direct_client(fake)
    # ~150 bytes of headers arrive in ~20 ms; the 30 KB body would take 3 s.
    fake.inject("jwks", trickle=3, json={"keys": [], "padding": "x" * 30_000})
    started = time.monotonic()
    with pytest.raises(WristbandTimeoutError) as info, deadline(0.5):
        wristband.jwks()
    assert time.monotonic() - started < 0.5 + MARGIN
    assert info.value.request_sent
    started = time.monotonic()
    assert wristband.jwks()["keys"]  # the same client (and pool) answers at once afterwards
    assert time.monotonic() - started < MARGIN


def test_a_passed_deadline_sends_nothing(fake: FakeWristband) -> None:
    wristband = direct_client(fake)
    with pytest.raises(WristbandTimeoutError) as info, deadline(0):
        wristband.jwks()
    assert not info.value.request_sent
    assert fake.calls("jwks") == []


def test_a_cut_refresh_was_still_processed_by_wristband(
    client: Client, fake: FakeWristband
) -> None:
    log_in(client, fake)
    entry = stored_entry(client)
    assert entry is not None and entry.refresh_token
    wristband = direct_client(fake)
    fake.inject("token", trickle=TRICKLE, grant_type="refresh_token")
    started = time.monotonic()
    with pytest.raises(WristbandTimeoutError) as info:
        wristband.refresh(entry.refresh_token, timeout=0.5)  # `timeout`: a deadline too
    assert time.monotonic() - started < 0.5 + MARGIN
    assert info.value.request_sent  # and it was: Wristband rotated the token while trickling
    with pytest.raises(InvalidGrantError):
        wristband.refresh(entry.refresh_token)


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


# --- the fake's trickle fault -------------------------------------------------------------


def raw_request(fake: FakeWristband, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", fake.port), timeout=5)
    request = f"GET {path} HTTP/1.1\r\nHost: {fake.vanity_domain}\r\nConnection: close\r\n\r\n"
    sock.sendall(request.encode())
    return sock


def read_with_timestamps(sock: socket.socket) -> list[tuple[float, bytes]]:
    started, pieces = time.monotonic(), []
    while chunk := sock.recv(65536):
        pieces.append((time.monotonic() - started, chunk))
    return pieces


def test_the_fake_spreads_every_byte_of_the_answer_over_the_trickle_time() -> None:
    with FakeWristband() as fake:
        fake.inject("jwks", trickle=1.0)
        with raw_request(fake, "/api/v1/oauth2/jwks") as sock:
            pieces = read_with_timestamps(sock)
    data = b"".join(chunk for _, chunk in pieces)
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 ") and json.loads(body)["keys"]
    assert 0.9 <= pieces[-1][0] < 1.0 + MARGIN
    assert len(pieces) > 100  # byte by byte, not in a few writes
    by_half_time = sum(len(chunk) for at, chunk in pieces if at <= 0.5)
    assert 0.2 * len(data) <= by_half_time <= 0.8 * len(data)  # evenly, not all at the end


def test_the_fake_trickles_a_replaced_answer() -> None:
    with FakeWristband() as fake:
        fake.inject("userinfo", trickle=0.3, status=502, json={"error": "bad_gateway"})
        with raw_request(fake, "/api/v1/oauth2/userinfo") as sock:
            pieces = read_with_timestamps(sock)
    head, body = b"".join(chunk for _, chunk in pieces).split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 502 ") and json.loads(body) == {"error": "bad_gateway"}
    assert pieces[-1][0] >= 0.25


def test_stopping_the_fake_cuts_a_trickle_short() -> None:
    fake = FakeWristband().start()
    try:
        fake.inject("jwks", trickle=30)
        with raw_request(fake, "/api/v1/oauth2/jwks") as sock:
            assert sock.recv(1) == b"H"  # the trickle has begun
            started = time.monotonic()
            fake.stop()
            stopped_in = time.monotonic() - started
            sock.settimeout(2)  # the connection must end now, not in 30 s
            try:
                rest = b"".join(chunk for _, chunk in read_with_timestamps(sock))
            except ConnectionResetError:
                rest = b""
    finally:
        fake.stop()
    assert stopped_in < 1.0
    assert b"\r\n\r\n" not in rest  # cut short: not even the headers were finished


@pytest.mark.parametrize(
    "kwargs", [{"trickle": -1}, {"trickle": True}, {"trickle": 1, "drop": True}]
)
def test_trickle_arguments_are_validated(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"trickle|drop"):
        FakeWristband().inject("jwks", **kwargs)
