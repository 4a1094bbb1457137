"""System checks: each mistake gives its id (with a hint); a healthy project gives none."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from wristband_django import checks as wristband_checks
from wristband_django.middleware import WristbandAuthMiddleware

SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
WRISTBAND = "wristband_django.middleware.WristbandAuthMiddleware"
REDIS = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/15"}
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def run() -> list[checks.CheckMessage]:
    messages = checks.run_checks(tags=[wristband_checks.TAG], include_deployment_checks=True)
    assert all(message.hint for message in messages)
    return messages


def ids() -> list[str]:
    return sorted(str(message.id) for message in run())


@pytest.fixture
def healthy(settings: Any) -> Any:
    """The test settings with a shared cache: nothing to report."""
    settings.CACHES = {"default": REDIS}
    return settings


def test_a_healthy_project_gives_no_message(healthy: Any) -> None:
    assert run() == []


def test_the_checks_run_with_djangos_own(healthy: Any) -> None:
    call_command("check")
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "dangerously_allow_http_idp": True}
    with pytest.raises(SystemCheckError, match=r"wristband_django\.E006"):
        call_command("check")


def test_missing_settings(healthy: Any) -> None:
    del healthy.WRISTBAND_AUTH
    assert ids() == ["wristband_django.E001"]


def test_invalid_settings_reuse_the_parsers_message(healthy: Any) -> None:
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "clientId": "x"}
    [message] = run()
    assert message.id == "wristband_django.E002" and isinstance(message, checks.Error)
    assert message.msg == 'WRISTBAND_AUTH["clientId"] is not a known key; did you mean "client_id"?'


def test_invalid_settings_never_show_a_secret(healthy: Any) -> None:
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "token_encryption_key": "short-secret"}
    [message] = run()
    assert message.id == "wristband_django.E002" and "short-secret" not in str(message)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"refresh_timeout": 30, "refresh_lock_timeout": 20}, "refresh_lock_timeout"),
        ({"refresh_timeout": 10, "refresh_lock_timeout": 12}, "refresh_lock_timeout"),
        ({"login_cookie_budget": 2048}, "login_cookie_budget"),
        ({"login_cookie_budget": 16384}, "login_cookie_budget"),
    ],
)
def test_bounds_that_would_break_a_guarantee_are_refused(
    healthy: Any, overrides: dict[str, Any], key: str
) -> None:
    """A refresh that could outlive its lock would let two requests present one refresh token;
    a cookie budget outside the range would not fit three logins, or the header limit."""
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, **overrides}
    [message] = run()
    assert message.id == "wristband_django.E002" and f'["{key}"]' in message.msg


def test_middleware_missing_is_a_warning(healthy: Any) -> None:
    healthy.MIDDLEWARE = [m for m in healthy.MIDDLEWARE if m != WRISTBAND]
    [message] = run()
    assert message.id == "wristband_django.W001" and isinstance(message, checks.Warning)


def test_middleware_missing_with_protected_paths_is_an_error(healthy: Any) -> None:
    healthy.MIDDLEWARE = [m for m in healthy.MIDDLEWARE if m != WRISTBAND]
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "protected_paths": ["/api/"]}
    assert ids() == ["wristband_django.E005"]


def test_middleware_before_sessions(healthy: Any) -> None:
    healthy.MIDDLEWARE = [WRISTBAND, *(m for m in healthy.MIDDLEWARE if m != WRISTBAND)]
    assert ids() == ["wristband_django.E004"]


def test_a_subclass_of_the_middleware_counts(healthy: Any) -> None:
    healthy.MIDDLEWARE = [
        "tests.conf.test_checks.MyMiddleware" if m == WRISTBAND else m for m in healthy.MIDDLEWARE
    ]
    assert run() == []


def test_session_middleware_missing(healthy: Any) -> None:
    healthy.MIDDLEWARE = [m for m in healthy.MIDDLEWARE if m != SESSIONS]
    assert "wristband_django.E003" in ids()


def test_http_idp_without_debug(healthy: Any) -> None:
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "dangerously_allow_http_idp": True}
    assert ids() == ["wristband_django.E006"]
    healthy.DEBUG = True
    assert run() == []


def test_http_idp_can_be_silenced_for_test_settings(healthy: Any) -> None:
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "dangerously_allow_http_idp": True}
    healthy.SILENCED_SYSTEM_CHECKS = ["wristband_django.E006"]
    assert all(message.is_silenced() for message in run())


def test_insecure_cookies_without_debug(healthy: Any) -> None:
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "dangerously_disable_secure_cookies": True}
    assert ids() == ["wristband_django.W005"]


def test_http_login_urls_without_debug_are_a_deployment_warning(healthy: Any) -> None:
    """Over plain http the callback's code travels in clear and the Secure login cookies are
    dropped (issue 25, point 4d)."""
    healthy.WRISTBAND_AUTH = {
        **healthy.WRISTBAND_AUTH,
        "login_url": "http://app.test/auth/login",
        "redirect_uri": "HTTP://app.test/auth/callback",
    }
    first, second = run()
    assert [first.id, second.id] == ["wristband_django.W012"] * 2
    assert isinstance(first, checks.Warning)
    assert first.msg == "login_url is http://app.test/auth/login, plain http, while DEBUG is False."
    assert second.msg.startswith("redirect_uri is HTTP://app.test/auth/callback")
    assert "https-and-reverse-proxies" in str(first.hint) and "SECURE_PROXY_SSL_HEADER" in str(
        first.hint
    )
    assert checks.run_checks(tags=[wristband_checks.TAG]) == []  # a deployment check only
    with pytest.raises(SystemCheckError, match=r"wristband_django\.W012"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "wristband")
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "dangerously_allow_http_idp": True}
    assert ids() == ["wristband_django.E006"]  # the fake's settings: E006 says it all
    healthy.DEBUG = True
    assert run() == []


def test_https_login_urls_and_auto_configured_ones_give_no_w012(healthy: Any) -> None:
    assert healthy.WRISTBAND_AUTH["login_url"].startswith("https://")
    assert run() == []
    healthy.WRISTBAND_AUTH = {
        k: v for k, v in healthy.WRISTBAND_AUTH.items() if k not in ("login_url", "redirect_uri")
    }
    assert run() == []  # auto-configured: the check reads settings only, never the network


def test_signed_cookie_sessions(healthy: Any) -> None:
    healthy.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    assert ids() == ["wristband_django.W002"]


def test_samesite_strict(healthy: Any) -> None:
    healthy.SESSION_COOKIE_SAMESITE = "Strict"
    [message] = run()
    assert message.id == "wristband_django.W004" and "cross-site" in str(message.hint)


def test_db_sessions_without_the_sessions_app(healthy: Any) -> None:
    healthy.INSTALLED_APPS = [a for a in healthy.INSTALLED_APPS if a != "django.contrib.sessions"]
    assert run() == []  # the cache engine does not need the app
    healthy.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    assert ids() == ["wristband_django.E007"]


def test_locmem_sessions_and_lock(healthy: Any) -> None:
    healthy.CACHES = {"default": LOCMEM}
    [message] = run()
    assert message.id == "wristband_django.W003"
    assert "the sessions and the refresh lock" in message.msg
    assert checks.run_checks(tags=[wristband_checks.TAG]) == []  # a deployment check only


def test_locmem_lock_with_db_sessions(healthy: Any) -> None:
    healthy.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    healthy.CACHES = {"default": LOCMEM}
    [message] = run()
    assert message.id == "wristband_django.W003" and "'default' holding the refresh lock" in (
        message.msg
    )
    healthy.CACHES = {"default": LOCMEM, "locks": REDIS}
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "lock_cache_alias": "locks"}
    assert run() == []


def test_locmem_lock_cache_alias(healthy: Any) -> None:
    healthy.CACHES = {"default": REDIS, "locks": LOCMEM}
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "lock_cache_alias": "locks"}
    [message] = run()
    assert message.id == "wristband_django.W003" and "'locks'" in message.msg


def test_unknown_lock_cache_alias(healthy: Any) -> None:
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "lock_cache_alias": "nope"}
    assert ids() == ["wristband_django.E008"]


class MyMiddleware(WristbandAuthMiddleware):
    """A project's subclass of the middleware."""


def test_django_user_integration(healthy: Any) -> None:
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "authenticate_django_user": True}
    healthy.LOGIN_URL = "wristband:login"  # else W008, below
    assert run() == []  # the test settings have everything it needs
    healthy.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    healthy.MIDDLEWARE = [m for m in healthy.MIDDLEWARE if "AuthenticationMiddleware" not in m]
    assert ids() == ["wristband_django.E010", "wristband_django.W006"]
    healthy.INSTALLED_APPS = [a for a in healthy.INSTALLED_APPS if a != "django.contrib.auth"]
    assert "wristband_django.E009" in ids()


def test_bearer_django_user_needs_django_contrib_auth_too(healthy: Any) -> None:
    """Without it, the first bearer request would fail looking the user up."""
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "bearer_django_user": True}
    assert run() == []
    healthy.INSTALLED_APPS = [a for a in healthy.INSTALLED_APPS if a != "django.contrib.auth"]
    (message,) = run()
    assert message.id == "wristband_django.E009" and "bearer_django_user" in message.msg


def test_django_users_with_an_unserved_default_login_url(healthy: Any) -> None:
    """``login_required`` would send users to a 404 (docs/django-auth.md)."""
    assert healthy.LOGIN_URL == "/accounts/login/"  # Django's; the suite's URLconf lacks it
    assert run() == []  # the integration is off: request.user is not Wristband's
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "authenticate_django_user": True}
    [warning] = run()
    assert warning.id == "wristband_django.W008" and isinstance(warning, checks.Warning)
    assert "'/accounts/login/'" in warning.msg and 'LOGIN_URL = "wristband:login"' in warning.hint
    healthy.LOGIN_URL = "wristband:login"
    assert run() == []
    healthy.LOGIN_URL = "/accounts/login/"
    healthy.ROOT_URLCONF = "tests.integration.login_required_urls"  # serves /accounts/login/
    assert run() == []


LOGIN_REQUIRED_MIDDLEWARE = "django.contrib.auth.middleware.LoginRequiredMiddleware"


def test_login_required_middleware_without_django_users(healthy: Any) -> None:
    """Every page would send a logged-in user back to the login, again and again
    (tests/integration/test_login_required.py shows the loop)."""
    healthy.MIDDLEWARE = [*healthy.MIDDLEWARE, LOGIN_REQUIRED_MIDDLEWARE]
    [warning] = run()
    assert warning.id == "wristband_django.W009" and isinstance(warning, checks.Warning)
    healthy.WRISTBAND_AUTH = {**healthy.WRISTBAND_AUTH, "authenticate_django_user": True}
    healthy.LOGIN_URL = "wristband:login"
    assert run() == []


def test_a_middleware_that_fails_to_import_in_any_way_never_crashes_the_checks(
    settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Importing a project's middleware to compare it can raise anything (an app's models
    not installed raise RuntimeError): the checks then treat it as another class."""
    (tmp_path / "broken_middleware.py").write_text("raise RuntimeError('not installed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "broken_middleware.Middleware"]
    messages = checks.run_checks(tags=[wristband_checks.TAG])
    assert all(message.id != "wristband_django.W009" for message in messages)
    assert all(
        not message.is_serious() or message.id.startswith("wristband_django.")
        for message in messages
    )
