"""pytest plugin: the `fake_wristband` and `wristband_settings` fixtures.

Enable with `pytest_plugins = ["wristband_django.testing.pytest_plugin"]`.

- `fake_wristband`: a started `FakeWristband` (no Django needed). Constructor arguments per
  test: `@pytest.mark.fake_wristband(rotate_refresh_tokens=False, ...)`.
- `wristband_settings`: your project's own `settings.WRISTBAND_AUTH` pointed at that fake for
  this test (your keys, e.g. `protected_paths`, are kept), with the Login and Callback URLs on
  the test client's host (unless the fake was given its own), and database access (a login
  writes a `LoginSession` row). Needs pytest-django. More keys per test:
  `@pytest.mark.wristband_settings(refresh_timeout=1)`.
- `wristband_client`: pytest-django's `client`, logged in as `admin@acme.test`.
- `wristband_bearer`: `wristband_bearer(user, **claims)` is the test client's keyword
  arguments for a bearer-token request as that fake user:
  `client.get("/api/", **wristband_bearer("member@globex.test"))`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def marker_kwargs(node: pytest.Item, name: str) -> dict[str, Any]:
    """Return the merged keyword arguments of the ``name`` markers on a test, its class and module.

    The closest marker wins for each argument, so a module's
    ``pytestmark = pytest.mark.wristband_settings(protected_paths=[...])`` and one test's
    ``@pytest.mark.wristband_settings(refresh_timeout=1)`` both apply.
    """
    kwargs: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(name))):
        kwargs.update(marker.kwargs)
    return kwargs


@pytest.fixture
def fake_wristband(request: pytest.FixtureRequest) -> Iterator[FakeWristband]:
    """Start a `FakeWristband` for the test, and stop it after the test.

    In a Django project, the fake's `login_url` and `redirect_uri` (what its
    auto-configuration reports) default to your `wristband:login` and `wristband:callback`
    on the test client's host, so `fake.auth_settings()` alone logs users in.
    """
    kwargs = {**_django_test_client_urls(), **marker_kwargs(request.node, "fake_wristband")}
    with FakeWristband(**kwargs) as fake:
        yield fake


def _django_test_client_urls() -> dict[str, str]:
    """Return `_test_client_urls()` where Django is installed and configured, else ``{}``.

    The fake itself needs no Django.
    """
    try:
        from django.conf import settings

        configured = settings.configured
    except ImportError:
        return {}
    return _test_client_urls() if configured else {}


def _test_client_urls() -> dict[str, str]:
    """Return `login_url` and `redirect_uri` on the test client's host, from `wristband` URLs.

    Return ``{}`` when the project mounts its own views under other names: auto-configuration
    then answers with the fake's `login_url`/`redirect_uri` (its constructor arguments).
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
    """Point the project's own `settings.WRISTBAND_AUTH` at `fake_wristband`, and return it."""
    given = marker_kwargs(request.node, "fake_wristband")
    # URLs given to the fake (a tenant-subdomain test's, say) are what its auto-configuration
    # reports: the app then takes them from there, not the test client's.
    urls = {k: v for k, v in _test_client_urls().items() if k not in given}
    overrides = {**urls, **marker_kwargs(request.node, "wristband_settings")}
    merged = settings_for_fake(
        getattr(settings, "WRISTBAND_AUTH", None), fake_wristband, **overrides
    )
    settings.WRISTBAND_AUTH = merged
    return merged


@pytest.fixture
def wristband_client(
    client: Any,  # pytest-django's test client
    fake_wristband: FakeWristband,
    wristband_settings: dict[str, Any],
) -> Any:
    """Return pytest-django's `client`, logged in through your views as `admin@acme.test`.

    It is what pytest-django's `admin_client` is for a Django superuser. To log in as another
    user, call `wristband_django.testing.log_in(client, fake_wristband, "member@globex.test")`.
    """
    from .clients import log_in

    log_in(client, fake_wristband)
    return client


@pytest.fixture
def wristband_bearer(
    fake_wristband: FakeWristband,
    wristband_settings: dict[str, Any],
) -> Callable[..., dict[str, str]]:
    """Return ``bearer(user="admin@acme.test", **claims)``, the test client's keyword arguments
    that send an access token for that fake user (an email or a user id) as
    ``Authorization: Bearer``.

    The token is ``fake_wristband.access_token_for(user, **claims)``: one that passes every
    check your bearer-token views make, ``claims`` added or replaced (``exp`` in the past,
    ``roles=[{"name": "app:admin"}]``), e.g.
    ``client.get("/api/orders/", **wristband_bearer("member@globex.test"))``.
    """

    def bearer(user: str = "admin@acme.test", **claims: Any) -> dict[str, str]:
        token = fake_wristband.access_token_for(user, **claims)
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return bearer
