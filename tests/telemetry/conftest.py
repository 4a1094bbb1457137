"""The ``recording`` fixture: what the app sends to OpenTelemetry during one test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.telemetry.recording import Recording, start_recording, stop_recording
from tests.telemetry.unreachable_cache import DOWN


@pytest.fixture
def recording() -> Iterator[Recording]:
    """Record the test's spans and metric points (OpenTelemetry's SDK, in memory)."""
    yield start_recording()
    stop_recording()


@pytest.fixture
def unreachable_store(settings: object) -> Iterator[dict[str, Any]]:
    """Sessions and locks in a cache the test can make unreachable (``DOWN["down"] = True``)
    or blink while it saves a session (``DOWN["failing_saves"] = 1``)."""
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "tests.telemetry.unreachable_cache.UnreachableLocMemCache"}
    }
    yield DOWN
    DOWN.update(down=False, failing_saves=0)
