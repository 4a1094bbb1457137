"""Without OpenTelemetry (no ``otel`` extra) the app imports and works, with no trace of it:
the flows are the undecorated functions, and a login, a refresh and a logout go through.

The run is a process of its own in which ``opentelemetry`` cannot be imported, as in a
project that never installed it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os
    import sys

    sys.modules["opentelemetry"] = None  # not installed: every import of it fails
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.support.settings"

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client, override_settings
    from django.test.utils import setup_databases, setup_test_environment

    from wristband_django import telemetry
    from wristband_django.flows import callback, login, logout, refresh
    from wristband_django.testing import FakeWristband, expire_access_token, log_in
    from wristband_django.testing.project_settings import settings_for_fake
    from wristband_django.wristband import client, jwks

    assert telemetry.ENABLED is False
    undecorated = [
        login.start_login,
        callback.complete_login,
        callback.start_session,
        refresh.refresh_stored_session,
        refresh.fresh_session,
        refresh.fresh_session_by_key,
        logout.log_out,
    ]
    assert [fn for fn in undecorated if hasattr(fn, "__wrapped__")] == []
    assert telemetry.call("JWKS", "GET", "https://x") is telemetry.call("userinfo", "GET", "")

    setup_test_environment()
    setup_databases(verbosity=0, interactive=False)
    urls = {
        "login_url": "http://testserver/auth/login/",
        "redirect_uri": "http://testserver/auth/callback/",
    }
    with FakeWristband(**urls) as fake:
        auth = settings_for_fake(settings.WRISTBAND_AUTH, fake, protected_paths=["/api/"], **urls)
        with override_settings(WRISTBAND_AUTH=auth):
            browser = Client()
            assert log_in(browser, fake).status_code == 302
            expire_access_token(browser)
            assert browser.get("/api/whoami/").status_code == 200
            assert browser.post("/auth/logout/").status_code == 302
    loaded = [name for name in sys.modules if name.startswith("opentelemetry.")]
    assert loaded == [], loaded
    print("logged in, refreshed and logged out without opentelemetry")
    """
)


def test_the_app_runs_without_opentelemetry_installed() -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own script
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "logged in, refreshed and logged out without opentelemetry" in done.stdout
