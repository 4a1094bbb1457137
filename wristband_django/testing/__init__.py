"""A fake Wristband identity provider: a real local HTTP server for tests and demos.

Standalone: imports neither Django nor the rest of `wristband_django`.

    with FakeWristband() as fake:
        settings.WRISTBAND_AUTH = fake.auth_settings()
        callback_url = fake.authorize(authorize_url, "admin@acme.test")

With pytest, enable the `fake_wristband`, `wristband_settings`, `wristband_client` and
`wristband_bearer` fixtures with `pytest_plugins = ["wristband_django.testing.pytest_plugin"]`.
A bearer-token API is tested with `fake.access_token_for(user, **claims)`, a token that passes
every check (`wristband_bearer(user)` gives the test client's header).

`log_in(client, fake, user)` and `expire_access_token(client)` (Django's test client, as
`Client.force_login` is for Django users) need Django: they are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .fake import FakeWristband
from .faults import Fault
from .models import FakeTenant, FakeUser, RecordedRequest

__all__ = [
    "FakeTenant",
    "FakeUser",
    "FakeWristband",
    "Fault",
    "RecordedRequest",
    "expire_access_token",
    "log_in",
]

if TYPE_CHECKING:  # type checkers see the real signatures
    from .clients import expire_access_token, log_in

#: Names that need Django, imported from ``clients`` on first use (PEP 562).
_NEED_DJANGO = ("expire_access_token", "log_in")


def __getattr__(name: str) -> Any:
    if name in _NEED_DJANGO:
        from . import clients

        return getattr(clients, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
