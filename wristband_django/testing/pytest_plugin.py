"""pytest plugin: the `fake_wristband` and `wristband_settings` fixtures.

Enable with `pytest_plugins = ["wristband_django.testing.pytest_plugin"]`.

- `fake_wristband`: a started `FakeWristband` (no Django needed). Constructor arguments per
  test: `@pytest.mark.fake_wristband(rotate_refresh_tokens=False, ...)`.
- `wristband_settings`: your project's own `settings.WRISTBAND_AUTH` pointed at that fake for
  this test (your keys, e.g. `protected_paths`, are kept), with the Login and Callback URLs on
  the test client's host, and database access (a login writes a `LoginSession` row). Needs
  pytest-django. More keys per test: `@pytest.mark.wristband_settings(refresh_timeout=1)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from . import FakeWristband
from .project_settings import settings_for_fake

#: The host of Django's test client (`django.test.Client`).
TEST_CLIENT_ORIGIN = "http://testserver"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fake_wristband(**kwargs): FakeWristband constructor arguments"
    )
    config.addinivalue_line(
        "markers",
        "wristband_settings(**keys): WRISTBAND_AUTH keys the wristband_settings fixture sets",
    )


@pytest.fixture
def fake_wristband(request: pytest.FixtureRequest) -> Iterator[FakeWristband]:
    """A started FakeWristband, stopped after the test."""
    marker = request.node.get_closest_marker("fake_wristband")
    with FakeWristband(**(marker.kwargs if marker else {})) as fake:
        yield fake


def _test_client_urls() -> dict[str, str]:
    """`login_url` and `redirect_uri` on the test client's host, from the `wristband` URLs.

    Empty when the project mounts its own views under other names: auto-configuration then
    answers with the fake's `login_url`/`redirect_uri` (its constructor arguments).
    """
    from django.urls import NoReverseMatch, reverse

    try:
        return {
            "login_url": TEST_CLIENT_ORIGIN + reverse("wristband:login"),
            "redirect_uri": TEST_CLIENT_ORIGIN + reverse("wristband:callback"),
        }
    except NoReverseMatch:
        return {}


@pytest.fixture
def wristband_settings(
    request: pytest.FixtureRequest,
    fake_wristband: FakeWristband,
    settings: Any,  # pytest-django's: restored after the test
    db: None,  # pytest-django's: the callback writes a LoginSession row
) -> dict[str, Any]:
    """`settings.WRISTBAND_AUTH`, the project's own, pointed at `fake_wristband`; returned."""
    marker = request.node.get_closest_marker("wristband_settings")
    overrides = {**_test_client_urls(), **(marker.kwargs if marker else {})}
    merged = settings_for_fake(
        getattr(settings, "WRISTBAND_AUTH", None), fake_wristband, **overrides
    )
    settings.WRISTBAND_AUTH = merged
    return merged
