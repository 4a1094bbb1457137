"""pytest plugin: the `fake_wristband` fixture.

Enable with `pytest_plugins = ["wristband_django.testing.pytest_plugin"]`. Constructor arguments
can be given per test with `@pytest.mark.fake_wristband(rotate_refresh_tokens=False, ...)`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import FakeWristband


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fake_wristband(**kwargs): FakeWristband constructor arguments"
    )


@pytest.fixture
def fake_wristband(request: pytest.FixtureRequest) -> Iterator[FakeWristband]:
    """A started FakeWristband, stopped after the test."""
    marker = request.node.get_closest_marker("fake_wristband")
    with FakeWristband(**(marker.kwargs if marker else {})) as fake:
        yield fake
