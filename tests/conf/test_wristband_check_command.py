"""``manage.py wristband_check`` against the fake Wristband: plain-words lines, exit status."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from wristband_django.testing import FakeWristband

REDIS = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/15"}


@pytest.fixture(autouse=True)
def project(settings: Any) -> None:
    settings.DEBUG = True  # the fake speaks http (wristband_django.E006 otherwise)
    settings.CACHES = {"default": REDIS}  # no W003 (checks do not connect)


def check() -> tuple[str, str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("wristband_check", stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_healthy(wristband: FakeWristband) -> None:
    out, err, failed = check()
    assert failed is None and err == ""
    assert "✓ settings are valid" in out
    assert "✓ system checks passed\n" in out
    assert "✓ auto-configuration resolved: login_url http://testserver/auth/login/" in out
    assert "✓ Wristband's JWKS: 1 RSA signing key(s)" in out
    assert len(wristband.calls("sdk_configuration")) == 1 and len(wristband.calls("jwks")) == 1
    assert wristband.client_secret not in out


def test_jwks_unreachable(wristband: FakeWristband) -> None:
    wristband.inject("jwks", status=503)
    out, err, failed = check()
    assert failed is not None and str(failed) == "1 check(s) failed"
    assert "✗ could not reach Wristband's JWKS: server_error" in err
    assert "(HTTP 503)" in err
    assert "✓ auto-configuration resolved" in out


def test_credentials_rejected(wristband: FakeWristband) -> None:
    wristband.inject("sdk_configuration", status=401, json={"error": "invalid_client"})
    out, err, failed = check()
    assert failed is not None
    assert "✗ could not get Wristband's sdk-configuration: invalid_client (HTTP 401)" in err
    assert "check client_id/client_secret" in err
    assert wristband.client_secret not in out + err


def test_without_auto_configuration(wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        auto_configure_enabled=False,
        login_url="http://testserver/auth/login/",
        redirect_uri="http://testserver/auth/callback/",
    )
    out, _, failed = check()
    assert (
        failed is None
        and "✓ auto-configuration is off: login_url http://testserver/auth/login/" in out
    )
    assert wristband.calls("sdk_configuration") == []


def test_bad_settings(wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = {**wristband.auth_settings(), "connect_timeout": 0}
    _, err, failed = check()
    assert failed is not None
    assert '✗ settings are invalid: WRISTBAND_AUTH["connect_timeout"] must be a number' in err
    assert wristband.requests == []  # nothing is fetched with invalid settings


def test_system_check_errors_fail_and_warnings_do_not(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.SESSION_COOKIE_SAMESITE = "Strict"
    out, err, failed = check()
    assert failed is None and "! wristband_django.W004: SESSION_COOKIE_SAMESITE" in out
    settings.DEBUG = False
    out, err, failed = check()
    assert failed is not None and "✗ wristband_django.E006: dangerously_allow_http_idp" in err


def test_exit_status_from_the_command_line(wristband: FakeWristband) -> None:
    wristband.inject("jwks", drop=True)
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "wristband_check"])
    assert exited.value.code == 1
