"""What the outbound auth does beyond a plain GET: bodies sent again on the retry (or a 401
answered as is when they cannot be), no token or refresh for another host's 401 after a
redirect, default timeouts and deadlines, the missing httpx extra, and reprs."""

from __future__ import annotations

import importlib
import io
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from django.test import Client

from tests.outbound.calling import call, refreshes, session_key
from tests.outbound.downstream import DownstreamApi
from tests.support.auth_helpers import stored_entry
from wristband_django.contrib.outbound.httpx_auth import WristbandHttpxAuth
from wristband_django.contrib.outbound.requests_auth import WristbandRequestsAuth, api_session
from wristband_django.contrib.outbound.tokens import SessionKeyTokens
from wristband_django.deadlines import deadline
from wristband_django.m2m import MachineTokenProvider
from wristband_django.testing import FakeWristband


@pytest.fixture
def revoked(logged_in: Client, api: DownstreamApi) -> SessionKeyTokens:
    """The logged-in session's tokens, its current access token revoked at the API."""
    entry = stored_entry(logged_in)
    assert entry is not None
    api.revoke(entry.access_token)
    return SessionKeyTokens(session_key(logged_in))


@pytest.fixture
def other_api() -> Iterator[DownstreamApi]:
    server = DownstreamApi().start()
    yield server
    server.stop()


# --- bodies ---------------------------------------------------------------------------------


def test_requests_sends_a_body_again_on_the_retry(
    revoked: SessionKeyTokens, api: DownstreamApi, wristband: FakeWristband
) -> None:
    session = api_session(WristbandRequestsAuth(revoked))
    answer = session.post(f"{api.url}/v1/orders", data=b"order=42")
    assert answer.status_code == 200
    assert [seen.body for seen in api.received] == [b"order=42", b"order=42"]
    upload = session.post(f"{api.url}/v1/files", data=io.BytesIO(b"a file"))  # a file: rewound
    assert (upload.status_code, api.received[-1].body) == (200, b"a file")


def test_requests_answers_the_401_of_a_body_it_cannot_send_again(
    revoked: SessionKeyTokens, api: DownstreamApi, wristband: FakeWristband
) -> None:
    session = api_session(WristbandRequestsAuth(revoked))
    answer = session.post(f"{api.url}/v1/orders", data=(part for part in [b"order", b"=42"]))
    assert answer.status_code == 401
    assert [seen.body for seen in api.received] == [b"order=42"]
    assert refreshes(wristband) == 0  # no refresh for a retry that cannot be made


@pytest.mark.parametrize("client_class", [httpx.Client, httpx.AsyncClient])
def test_httpx_sends_a_body_again_on_the_retry(
    client_class: type, revoked: SessionKeyTokens, api: DownstreamApi
) -> None:
    async def stream() -> Any:
        yield b"order"
        yield b"=42"

    content: Any = stream() if client_class is httpx.AsyncClient else iter([b"order", b"=42"])
    if client_class is httpx.Client:
        with httpx.Client(auth=WristbandHttpxAuth(revoked)) as client:
            status = client.post(f"{api.url}/v1/orders", content=content).status_code
    else:
        import asyncio

        async def post() -> int:
            async with httpx.AsyncClient(auth=WristbandHttpxAuth(revoked)) as client:
                return (await client.post(f"{api.url}/v1/orders", content=content)).status_code

        status = asyncio.run(post())
    assert status == 200
    assert [seen.body for seen in api.received] == [b"order=42", b"order=42"]


# --- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("library", ["requests", "httpx"])
def test_another_hosts_401_after_a_redirect_gets_no_token_and_no_refresh(
    library: str,
    revoked: SessionKeyTokens,
    api: DownstreamApi,
    other_api: DownstreamApi,
    wristband: FakeWristband,
) -> None:
    api.redirect_to = f"{other_api.url.replace('127.0.0.1', 'localhost')}/v1/orders"
    options = {"follow_redirects": True} if library == "httpx" else {}
    assert call(library, revoked, f"{api.url}/v1/moved", **options) == 401
    assert [seen.token for seen in other_api.received] == [None]  # the header was dropped
    assert refreshes(wristband) == 0


# --- timeouts and deadlines ----------------------------------------------------------------


@pytest.mark.wristband_settings(read_timeout=0.3)
def test_a_call_without_a_timeout_gets_the_read_timeout(
    machine: MachineTokenProvider, api: DownstreamApi
) -> None:
    machine.get_token()  # the token first: only the API is slow
    api.delay = 3
    auth = WristbandRequestsAuth.for_machine(machine)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        api_session(auth).get(f"{api.url}/v1/slow")
    auth_x = WristbandHttpxAuth.for_machine(machine)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{api.url}/v1/slow", auth=auth_x, timeout=None)  # noqa: S113 (the point)
    assert time.monotonic() - started < 2.5


def test_a_deadline_bounds_the_call_whatever_its_timeout(
    machine: MachineTokenProvider, api: DownstreamApi
) -> None:
    machine.get_token()
    api.delay = 3
    started = time.monotonic()
    with deadline(0.3), pytest.raises(requests.Timeout):
        api_session(WristbandRequestsAuth.for_machine(machine)).get(f"{api.url}/v1/s", timeout=10)
    with deadline(0.3), pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{api.url}/v1/s", auth=WristbandHttpxAuth.for_machine(machine), timeout=10)
    assert time.monotonic() - started < 2.5


# --- the extra, and what is shown ----------------------------------------------------------


def test_without_httpx_the_module_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # what Python does for a missing module
    monkeypatch.delitem(sys.modules, "wristband_django.contrib.outbound.httpx_auth")
    with pytest.raises(ImportError, match=r'pip install "wristband-django\[httpx\]"'):
        importlib.import_module("wristband_django.contrib.outbound.httpx_auth")
    monkeypatch.undo()
    assert importlib.import_module("wristband_django.contrib.outbound.httpx_auth")


def test_the_auths_show_neither_token_nor_session_key(
    logged_in: Client, machine: MachineTokenProvider
) -> None:
    key = session_key(logged_in)
    shown = repr(WristbandRequestsAuth.for_session_key(key))
    shown += repr(WristbandHttpxAuth.for_session_key(key))
    shown += repr(WristbandHttpxAuth.for_machine(machine)) + repr(machine.get_token)
    assert key not in shown and machine.get_token() not in shown
    assert "SessionKeyTokens(<session key>)" in shown
