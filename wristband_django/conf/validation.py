"""``parse_auth_config``: a ``WRISTBAND_AUTH`` dict to an ``AuthConfig``, every key checked
by its parser in ``conf.parsing.SETTINGS``, unknown keys refused with a "did you mean", and
the combinations of keys that would break a guarantee refused too."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from wristband_django.conf import fields, official_names
from wristband_django.conf.auth_config import AuthConfig
from wristband_django.conf.bounds import (
    DEFAULT_LOCK_MARGIN_SECONDS,
    LOCK_MARGIN_SECONDS,
    LOGIN_COOKIE_BUDGET_RANGE,
)
from wristband_django.conf.hosts import has_tenant_placeholder
from wristband_django.conf.parsing import REQUIRED_KEYS, SETTING_KEYS, SETTINGS


def parse_auth_config(raw: Any) -> AuthConfig:
    """Validate a ``WRISTBAND_AUTH`` dict and build the ``AuthConfig``."""
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(
            f"settings.{fields.SETTING} must be a dict, not {fields.typename(raw)}; see the README"
        )
    for key in raw:
        if key not in SETTING_KEYS:
            raise _unknown_key_error(str(key))
    for key in REQUIRED_KEYS:
        if key not in raw:
            raise fields.fail(
                key, "is required", "copy it from your application in the Wristband dashboard"
            )
    values = {key: SETTINGS[key].parse(key, value) for key, value in raw.items()}

    values["wristband_application_vanity_domain"] = fields.host(  # a port: https on it, or http
        "wristband_application_vanity_domain",
        values["wristband_application_vanity_domain"],
        allow_port=True,
    )
    if values.get("parse_tenant_from_root_domain") is not None:
        values["parse_tenant_from_root_domain"] = fields.host(
            "parse_tenant_from_root_domain",
            values["parse_tenant_from_root_domain"],
            port_fix="give the domain only (yourapp.io, not yourapp.io:8000); "
            "the port is taken from the request",
        )
    values["token_encryption_keys"] = values.pop("token_encryption_key", ())
    values["login_state_secrets"] = fields.login_state_secrets(
        values.pop("login_state_secret", None), values["client_secret"]
    )
    _check_bounds(values)
    if "scopes" in values and "openid" not in values["scopes"]:
        raise fields.fail(
            "scopes", 'must include "openid"', 'e.g. ["openid", "offline_access", "email"]'
        )
    if not values.get("auto_configure_enabled", True):
        for key in ("login_url", "redirect_uri"):
            if values.get(key) is None:
                raise fields.fail(
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


def check_tenant_placeholders(
    urls: Mapping[str, str | None], root_domain: str | None, *, source: str = ""
) -> None:
    """Raise ``ImproperlyConfigured`` unless the URLs have a tenant placeholder exactly when due.

    A placeholder is due exactly when ``root_domain`` (``parse_tenant_from_root_domain``) is
    set. ``source`` says where the URLs came from (auto-configuration).
    """
    for key, url in urls.items():
        if url is None:
            continue
        if root_domain and not has_tenant_placeholder(url):
            raise fields.fail(
                key,
                f"has no {{tenant_name}} placeholder{source}, but parse_tenant_from_root_domain "
                "is set",
                f"use e.g. https://{{tenant_name}}.{root_domain}/auth/... or remove "
                "parse_tenant_from_root_domain",
            )
        if not root_domain and has_tenant_placeholder(url):
            raise fields.fail(
                key,
                f"contains a tenant placeholder{source}, but parse_tenant_from_root_domain "
                "is not set",
                "set parse_tenant_from_root_domain to your root domain (e.g. yourapp.io) or "
                "remove the placeholder",
            )


def _unknown_key_error(key: str) -> ImproperlyConfigured:
    """Return the error for an unknown key, naming the known key it most resembles.

    A camelCase key, as the JavaScript SDKs spell it, is compared in snake_case. A name of
    wristband-django-auth's that is not a key here says what replaces it
    (``conf.official_names``), and names a key it is a likely typo of, if another.
    """
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
    candidates = difflib.get_close_matches(snake, sorted(SETTING_KEYS), n=1)
    official = official_names.pointer(key)
    if official is not None:
        entry = official_names.official_name(key)
        typo = difflib.get_close_matches(snake, sorted(SETTING_KEYS), n=1, cutoff=0.85)
        if typo and entry is not None and typo[0] != entry.key:  # redirect_url: redirect_uri?
            official += f'; or did you mean "{typo[0]}"?'
        return fields.fail(key, "is not a known key", official)
    hint = (
        f'did you mean "{candidates[0]}"?'
        if candidates
        else "see the configuration reference (docs/configuration.md, linked from the README)"
    )
    return fields.fail(key, "is not a known key", hint)


def _check_bounds(values: dict[str, Any]) -> None:
    """Refuse the combinations that would break a guarantee, and fill in a dependent default.

    A refresh must not outlive its lock (two refreshes of one session would run at once), and
    the cookie budget must hold the pending logins. The default of ``refresh_lock_timeout``
    depends on ``refresh_timeout``, so it is set here.
    """
    refresh = values.get("refresh_timeout", AuthConfig.refresh_timeout)
    lock = values.setdefault("refresh_lock_timeout", refresh + DEFAULT_LOCK_MARGIN_SECONDS)
    if lock < refresh + LOCK_MARGIN_SECONDS:
        raise fields.fail(
            "refresh_lock_timeout",
            f"is {lock:g} s, shorter than refresh_timeout ({refresh:g} s) plus "
            f"{LOCK_MARGIN_SECONDS:g} s: a slow refresh would outlive its lock and a second "
            "request would present the same refresh token",
            f"set it to at least {refresh + LOCK_MARGIN_SECONDS:g}",
        )
    low, high = LOGIN_COOKIE_BUDGET_RANGE
    budget = values.get("login_cookie_budget", AuthConfig.login_cookie_budget)
    if not low <= budget <= high:
        raise fields.fail(
            "login_cookie_budget", f"must be between {low} and {high} bytes, not {budget}"
        )
