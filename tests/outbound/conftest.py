"""Fixtures of the outbound tests: the downstream API, an empty cache, a machine client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches

from tests.outbound.calling import MACHINE_ID, MACHINE_SECRET
from tests.outbound.downstream import DownstreamApi
from wristband_django.m2m import MachineTokenProvider
from wristband_django.testing import FakeWristband


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """LocMem (the sessions and the machine tokens) outlives a test."""
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def api(settings: Any) -> Iterator[DownstreamApi]:
    """The downstream API, running; ``settings.OUTBOUND_TEST_API`` is its URL."""
    server = DownstreamApi().start()
    settings.OUTBOUND_TEST_API = server.url
    yield server
    server.stop()


@pytest.fixture
def machine(wristband: FakeWristband) -> MachineTokenProvider:
    """A provider of the machine client the fake knows."""
    wristband.add_machine_client(MACHINE_ID, MACHINE_SECRET)
    return MachineTokenProvider(MACHINE_ID, MACHINE_SECRET)
