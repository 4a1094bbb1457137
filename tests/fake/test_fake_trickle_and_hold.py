"""The fake's faults that pace an answer: `trickle` (every byte spread over a time) and `hold`
(the request waits at the fake until the test releases it), over raw sockets and `requests`."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest
import requests

from wristband_django.testing import FakeWristband

#: Slack for a loaded CI machine.
MARGIN = 1.5
TIMEOUT = 5


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


@pytest.mark.slow
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


# --- hold: the request waits at the fake until the test releases it -------------------------


def get_in_background(url: str, answers: list[Any]) -> threading.Thread:
    """GET ``url`` in a thread; ``answers`` gets the response, or the exception raised."""

    def get() -> None:
        try:
            answers.append(requests.get(url, timeout=TIMEOUT))
        except requests.RequestException as exc:
            answers.append(exc)

    thread = threading.Thread(target=get)
    thread.start()
    return thread


def test_a_held_request_is_answered_normally_once_released(fake_wristband: FakeWristband) -> None:
    fault = fake_wristband.inject("jwks", hold=True)
    assert not fault.arrived.is_set()
    answers: list[Any] = []
    request = get_in_background(f"{fake_wristband.base_url}/api/v1/oauth2/jwks", answers)
    assert fault.arrived.wait(TIMEOUT)  # the request reached the fake
    request.join(0.3)
    assert request.is_alive() and answers == []  # and waits there, unanswered
    fault.release()
    request.join(TIMEOUT)
    (answer,) = answers
    assert answer.status_code == 200 and answer.json()["keys"]  # the real answer
    assert fault.hits == 1


def test_a_held_request_then_gets_the_rest_of_its_fault(fake_wristband: FakeWristband) -> None:
    fault = fake_wristband.inject("userinfo", hold=True, status=502, json={"error": "bad_gateway"})
    answers: list[Any] = []
    request = get_in_background(f"{fake_wristband.base_url}/api/v1/oauth2/userinfo", answers)
    assert fault.arrived.wait(TIMEOUT)
    fault.release()
    request.join(TIMEOUT)
    assert answers[0].status_code == 502 and answers[0].json() == {"error": "bad_gateway"}


def test_a_released_fault_holds_no_later_request(fake_wristband: FakeWristband) -> None:
    url = f"{fake_wristband.base_url}/api/v1/oauth2/jwks"
    fault = fake_wristband.inject("jwks", hold=True, times=None)
    fault.release()
    assert [requests.get(url, timeout=TIMEOUT).status_code for _ in range(2)] == [200, 200]
    assert fault.hits == 2 and fault.arrived.is_set()


def test_a_hold_filtered_by_grant_type_lets_other_grants_through(
    fake_wristband: FakeWristband,
) -> None:
    fault = fake_wristband.inject("token", hold=True, grant_type="refresh_token")
    response = requests.post(
        f"{fake_wristband.base_url}/api/v1/oauth2/token",
        data={"grant_type": "authorization_code", "code": "c", "redirect_uri": "r"},
        auth=(fake_wristband.client_id, fake_wristband.client_secret),
        timeout=TIMEOUT,
    )
    assert response.status_code == 400  # answered at once (a missing code_verifier)
    assert not fault.arrived.is_set() and fault.hits == 0


def test_every_fault_says_when_a_request_arrives(fake_wristband: FakeWristband) -> None:
    fault = fake_wristband.inject("jwks", status=503)
    assert not fault.arrived.is_set()
    requests.get(f"{fake_wristband.base_url}/api/v1/oauth2/jwks", timeout=TIMEOUT)
    assert fault.arrived.is_set()


def test_stopping_the_fake_releases_held_requests_unanswered() -> None:
    fake = FakeWristband().start()
    try:
        fault = fake.inject("jwks", hold=True)
        answers: list[Any] = []
        request = get_in_background(f"{fake.base_url}/api/v1/oauth2/jwks", answers)
        assert fault.arrived.wait(TIMEOUT)
        started = time.monotonic()
        fake.stop()
        request.join(TIMEOUT)
        ended_in = time.monotonic() - started
    finally:
        fake.stop()
    assert ended_in < 1.0  # not held until the client's own timeout
    (answer,) = answers
    assert isinstance(answer, requests.ConnectionError)  # closed without an answer
