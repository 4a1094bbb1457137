"""The outbound auth bound to a ``MachineTokenProvider``, against the downstream API: the
machine token is sent, a refused one is dropped and replaced once, a second 401 reaches the
caller, ten callers refused at once get one new token, and no token reaches the log."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from tests.outbound.calling import LIBRARIES, MACHINE_ID, MACHINE_SECRET, call, machine_tokens
from tests.outbound.downstream import DownstreamApi
from tests.support.leaks import leaked
from wristband_django.bearer import validate_access_token
from wristband_django.contrib.outbound.tokens import MachineTokens
from wristband_django.m2m import MachineTokenProvider
from wristband_django.testing import FakeWristband


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_refused_machine_token_is_replaced_once_and_the_call_retried(
    library: str, machine: MachineTokenProvider, api: DownstreamApi, wristband: FakeWristband
) -> None:
    orders = f"{api.url}/v1/orders"
    assert call(library, MachineTokens(machine), orders) == 200
    (first,) = api.tokens()
    assert first is not None and validate_access_token(first).user_id == MACHINE_ID
    api.revoke(first)

    assert call(library, MachineTokens(machine), orders) == 200

    second = machine.get_token()  # the provider's cached token from now on
    assert second != first
    assert api.tokens() == [first, first, second]
    assert machine_tokens(wristband) == 2


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_second_401_is_returned_after_one_new_machine_token(
    library: str, machine: MachineTokenProvider, api: DownstreamApi, wristband: FakeWristband
) -> None:
    api.refuse_all = True
    assert call(library, MachineTokens(machine), f"{api.url}/v1/orders") == 401
    first, second = api.tokens()
    assert first != second == machine.get_token()
    assert machine_tokens(wristband) == 2


def test_ten_callers_refused_at_once_get_one_new_token(
    machine: MachineTokenProvider, api: DownstreamApi, wristband: FakeWristband
) -> None:
    old = machine.get_token()
    api.revoke(old)
    api.hold_refusals(10)
    results: list[int] = []

    def caller() -> None:
        results.append(call("requests", MachineTokens(machine), f"{api.url}/v1/orders"))

    threads = [threading.Thread(target=caller) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert results == [200] * 10
    assert machine_tokens(wristband) == 2  # the first token, and one new one
    assert set(api.tokens()) == {old, machine.get_token()}


def test_no_machine_token_reaches_the_log(
    machine: MachineTokenProvider, api: DownstreamApi, wristband: FakeWristband, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    api.refuse_all = True
    assert call("async-httpx", MachineTokens(machine), f"{api.url}/v1/orders") == 401
    assert "answered 401 to the renewed access token too" in caplog.text
    tokens = {token for token in api.tokens() if token}
    assert len(tokens) == 2
    assert leaked(caplog.text, tokens | {wristband.client_secret, MACHINE_SECRET}) == []
