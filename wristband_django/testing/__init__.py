"""A fake Wristband identity provider: a real local HTTP server for tests and demos.

Standalone: imports neither Django nor the rest of `wristband_django`.

    with FakeWristband() as fake:
        settings.WRISTBAND_AUTH = fake.auth_settings()
        callback_url = fake.authorize(authorize_url, "admin@acme.test")

With pytest, enable the `fake_wristband` fixture with
`pytest_plugins = ["wristband_django.testing.pytest_plugin"]`.
"""

from __future__ import annotations

from .fake import FakeWristband
from .faults import Fault
from .models import FakeTenant, FakeUser, RecordedRequest

__all__ = ["FakeTenant", "FakeUser", "FakeWristband", "Fault", "RecordedRequest"]
