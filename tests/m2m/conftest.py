"""Fixtures every M2M test uses: an empty cache, and the fake with the machine client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches

from tests.m2m import MACHINE_ID, MACHINE_SECRET
from wristband_django.testing import FakeWristband


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """LocMem outlives a test, and a later fake may get the same port (the same issuer)."""
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def fake(wristband: FakeWristband) -> FakeWristband:
    """The fake Wristband, with the machine client ``MACHINE_ID`` registered."""
    wristband.add_machine_client(MACHINE_ID, MACHINE_SECRET)
    return wristband
