"""``parse_auth_config``: a ``WRISTBAND_AUTH`` dict to an ``AuthConfig``, every key checked,
unknown keys refused with a "did you mean", and the combinations that would break a
guarantee refused too."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from wristband_django.conf.auth_config import AuthConfig
from wristband_django.conf.fields import (
    SETTING,
    _absolute_url,
    _boolean,
    _fail,
    _host,
    _host_list,
    _login_state_secrets,
    _non_negative_int,
    _optional_boolean,
    _optional_host,
    _optional_string,
    _path_patterns,
    _positive_int,
    _positive_number,
    _return_url,
    _secret_list,
    _string,
    _string_list,
    _tenant_name,
    _typename,
)
from wristband_django.conf.hosts import has_tenant_placeholder


def check_tenant_placeholders(
    urls: Mapping[str, str | None], root_domain: str | None, *, source: str = ""
) -> None:
    """Tenant-subdomain URLs need ``parse_tenant_from_root_domain`` and the reverse."""
    for key, url in urls.items():
        if url is None:
            continue
        if root_domain and not has_tenant_placeholder(url):
            raise _fail(
                key,
                f"has no {{tenant_name}} placeholder{source}, but parse_tenant_from_root_domain "
                "is set",
                f"use e.g. https://{{tenant_name}}.{root_domain}/auth/... or remove "
                "parse_tenant_from_root_domain",
            )
        if not root_domain and has_tenant_placeholder(url):
            raise _fail(
                key,
                f"contains a tenant placeholder{source}, but parse_tenant_from_root_domain "
                "is not set",
                "set parse_tenant_from_root_domain to your root domain (e.g. yourapp.io) or "
                "remove the placeholder",
            )


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "client_id": _string,
    "client_secret": _string,
    "wristband_application_vanity_domain": _string,  # checked with its port rule below
    "auto_configure_enabled": _boolean,
    "login_url": _absolute_url,
    "redirect_uri": _absolute_url,
    "parse_tenant_from_root_domain": _optional_string,  # checked as a host below
    "is_application_custom_domain_active": _optional_boolean,
    "custom_application_login_page_url": _absolute_url,
    "login_state_secret": lambda key, value: value,  # needs client_secret; parsed below
    "scopes": _string_list,
    "token_expiration_buffer": _non_negative_int,
    "dangerously_disable_secure_cookies": _boolean,
    "dangerously_allow_http_idp": _boolean,
    "connect_timeout": _positive_number,
    "read_timeout": _positive_number,
    "call_timeout": _positive_number,
    "callback_timeout": _positive_number,
    "default_return_url": _return_url,
    "allowed_return_url_hosts": lambda key, value: _host_list(key, value, allow_port=True) or (),
    "return_url_max_length": _positive_int,
    "default_tenant_name": _tenant_name,
    "default_tenant_custom_domain": _optional_host,
    "tenant_custom_domains": _host_list,
    "logout_redirect_url": _absolute_url,
    "allow_logout_get": _boolean,
    "session_metadata_claims": _string_list,
    "protected_paths": _path_patterns,
    "refresh_max_attempts": _positive_int,
    "refresh_timeout": _positive_number,
    "refresh_lock_timeout": _positive_number,
    "lock_cache_alias": _optional_string,
    "jwks_cache_ttl": _positive_int,
    "custom_domain_cache_ttl": _positive_int,
    "custom_domain_checks_per_minute": _positive_int,
    "login_cookie_budget": _positive_int,
    "token_encryption_key": lambda key, value: _secret_list(key, value, fallback=()),
    "track_sessions": _boolean,
    "authenticate_django_user": _boolean,
    "user_adapter": _string,
}
SETTING_KEYS = frozenset(_PARSERS)
REQUIRED_KEYS = ("client_id", "client_secret", "wristband_application_vanity_domain")
#: Time a refresh lock must outlive the refresh deadline (the holder's own store writes),
#: and the margin it is given when ``refresh_lock_timeout`` is not set.
LOCK_MARGIN_SECONDS = 3.0
DEFAULT_LOCK_MARGIN_SECONDS = 5.0
#: Login cookies must leave room for the app's own under the common 8 KB header limit, and
#: hold three pending logins with a return URL.
LOGIN_COOKIE_BUDGET_RANGE = (4096, 6144)


def _camel_to_snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _unknown_key_error(key: str) -> ImproperlyConfigured:
    candidates = difflib.get_close_matches(_camel_to_snake(key), sorted(SETTING_KEYS), n=1)
    hint = f'did you mean "{candidates[0]}"?' if candidates else "see the README's settings table"
    return _fail(key, "is not a known key", hint)


def parse_auth_config(raw: Any) -> AuthConfig:
    """Validate a ``WRISTBAND_AUTH`` dict and build the ``AuthConfig``."""
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(
            f"settings.{SETTING} must be a dict, not {_typename(raw)}; see the README"
        )
    for key in raw:
        if key not in SETTING_KEYS:
            raise _unknown_key_error(str(key))
    for key in REQUIRED_KEYS:
        if key not in raw:
            raise _fail(
                key, "is required", "copy it from your application in the Wristband dashboard"
            )
    values = {key: _PARSERS[key](key, value) for key, value in raw.items()}

    http_ok = values.get("dangerously_allow_http_idp", False)
    values["wristband_application_vanity_domain"] = _host(
        "wristband_application_vanity_domain",
        values["wristband_application_vanity_domain"],
        allow_port=http_ok,
        port_fix="a port is only allowed with dangerously_allow_http_idp (tests and demos)",
    )
    if values.get("parse_tenant_from_root_domain") is not None:
        values["parse_tenant_from_root_domain"] = _host(
            "parse_tenant_from_root_domain",
            values["parse_tenant_from_root_domain"],
            port_fix="give the domain only (yourapp.io, not yourapp.io:8000); "
            "the port is taken from the request",
        )
    values["token_encryption_keys"] = values.pop("token_encryption_key", ())
    values["login_state_secrets"] = _login_state_secrets(
        values.pop("login_state_secret", None), values["client_secret"]
    )
    _check_bounds(values)
    if "scopes" in values and "openid" not in values["scopes"]:
        raise _fail("scopes", 'must include "openid"', 'e.g. ["openid", "offline_access", "email"]')
    if not values.get("auto_configure_enabled", True):
        for key in ("login_url", "redirect_uri"):
            if values.get(key) is None:
                raise _fail(
                    key, "is required when auto_configure_enabled is False", "set it explicitly"
                )
    root_domain = values.get("parse_tenant_from_root_domain")
    if root_domain is not None or not values.get("auto_configure_enabled", True):
        # Otherwise the root domain may still come from auto-configuration: checked after it.
        check_tenant_placeholders(
            {"login_url": values.get("login_url"), "redirect_uri": values.get("redirect_uri")},
            root_domain,
        )
    return AuthConfig(**values)


def _check_bounds(values: dict[str, Any]) -> None:
    """Combinations that would break a guarantee: a refresh outliving its lock (two refreshes
    of one session at once), a cookie budget too small for the pending logins."""
    refresh = values.get("refresh_timeout", AuthConfig.refresh_timeout)
    lock = values.setdefault("refresh_lock_timeout", refresh + DEFAULT_LOCK_MARGIN_SECONDS)
    if lock < refresh + LOCK_MARGIN_SECONDS:
        raise _fail(
            "refresh_lock_timeout",
            f"is {lock:g} s, shorter than refresh_timeout ({refresh:g} s) plus "
            f"{LOCK_MARGIN_SECONDS:g} s: a slow refresh would outlive its lock and a second "
            "request would present the same refresh token",
            f"set it to at least {refresh + LOCK_MARGIN_SECONDS:g}",
        )
    low, high = LOGIN_COOKIE_BUDGET_RANGE
    budget = values.get("login_cookie_budget", AuthConfig.login_cookie_budget)
    if not low <= budget <= high:
        raise _fail("login_cookie_budget", f"must be between {low} and {high} bytes, not {budget}")
