"""``parse_auth_config``: a ``WRISTBAND_AUTH`` dict to an ``AuthConfig``, every key checked
by its parser in ``conf.parsing.SETTINGS``, unknown keys refused with a "did you mean", and
the combinations of keys that would break a guarantee refused too.

Every problem of the dict is found in one pass: ``InvalidSettings`` carries them all (three
blank credentials are three problems), each a ``SettingProblem`` naming its key, so that
``manage.py check`` and ``wristband_check`` report them together."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from wristband_django.conf import fields, official_names
from wristband_django.conf.auth_config import AuthConfig
from wristband_django.conf.bounds import (
    DEFAULT_LOCK_MARGIN_SECONDS,
    LOCK_MARGIN_SECONDS,
    LOGIN_COOKIE_BUDGET_RANGE,
)
from wristband_django.conf.docs_links import docs_url
from wristband_django.conf.fields import SettingProblem
from wristband_django.conf.hosts import has_tenant_placeholder
from wristband_django.conf.parsing import REQUIRED_KEYS, SETTING_KEYS, SETTINGS, reference_url


class InvalidSettings(ImproperlyConfigured):
    """Every problem of a ``WRISTBAND_AUTH`` dict, in ``problems``.

    The message is the one problem's own, or all of them, one per line."""

    def __init__(self, problems: Sequence[SettingProblem]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0].message
        else:
            lines = "".join(f"\n- {problem.message}" for problem in self.problems)
            message = f"{fields.SETTING} has {len(self.problems)} problems:{lines}"
        super().__init__(message)


def _problems_of(key: str, exc: ImproperlyConfigured) -> list[SettingProblem]:
    """Return the problems ``exc`` stands for, ``key``'s unless it names its own."""
    if isinstance(exc, InvalidSettings):
        return list(exc.problems)
    if isinstance(exc, SettingProblem):
        return [exc]
    return [SettingProblem(key, str(exc))]


def parse_auth_config(raw: Any) -> AuthConfig:
    """Validate a ``WRISTBAND_AUTH`` dict and build the ``AuthConfig``.

    Raise ``InvalidSettings`` naming every problem found (a check that needs a value with a
    problem of its own is skipped), or ``ImproperlyConfigured`` for a value that is no dict.
    """
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(
            f"settings.{fields.SETTING} must be a dict, not {fields.typename(raw)}; see "
            f"{docs_url('configuration')}"
        )
    problems = [_unknown_key_error(str(key)) for key in raw if key not in SETTING_KEYS]
    problems += [
        fields.fail(key, "is required", "copy it from your application in the Wristband dashboard")
        for key in REQUIRED_KEYS
        if key not in raw
    ]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in SETTING_KEYS:
            try:
                values[key] = SETTINGS[key].parse(key, value)
            except ImproperlyConfigured as exc:
                problems += _problems_of(key, exc)
    problems += _host_problems(values)
    values["token_encryption_keys"] = values.pop("token_encryption_key", ())
    login_state_secret = values.pop("login_state_secret", None)
    if "client_secret" in values or login_state_secret is not None:  # else: its own problem
        try:
            values["login_state_secrets"] = fields.login_state_secrets(
                login_state_secret, values.get("client_secret", "")
            )
        except ImproperlyConfigured as exc:
            problems += _problems_of("login_state_secret", exc)
    problems += _bounds_problems(values)
    if "scopes" in values and "openid" not in values["scopes"]:
        problems.append(
            fields.fail(
                "scopes", 'must include "openid"', 'e.g. ["openid", "offline_access", "email"]'
            )
        )
    if not values.get("auto_configure_enabled", True):
        faulty = {problem.key for problem in problems}
        problems += [
            fields.fail(
                key, "is required when auto_configure_enabled is False", "set it explicitly"
            )
            for key in ("login_url", "redirect_uri")
            if values.get(key) is None and key not in faulty
        ]
    root_domain = values.get("parse_tenant_from_root_domain")
    if root_domain is not None or not values.get("auto_configure_enabled", True):
        # Otherwise the root domain may still come from auto-configuration: checked after it.
        problems += tenant_placeholder_problems(
            {"login_url": values.get("login_url"), "redirect_uri": values.get("redirect_uri")},
            root_domain,
        )
    if problems:
        raise InvalidSettings(problems)
    return AuthConfig(**values)


def _host_problems(values: dict[str, Any]) -> list[SettingProblem]:
    """Check the vanity domain (a port allowed: https on it, or http) and the root domain
    (no port) as host names, lowercased in ``values``; return their problems, and drop a
    value with one from ``values``."""
    port_fixes = {
        "wristband_application_vanity_domain": None,
        "parse_tenant_from_root_domain": "give the domain only (yourapp.io, not yourapp.io:8000); "
        "the port is taken from the request",
    }
    problems: list[SettingProblem] = []
    for key, port_fix in port_fixes.items():
        if values.get(key) is None:
            continue
        try:
            if port_fix is None:
                values[key] = fields.host(key, values[key], allow_port=True)
            else:
                values[key] = fields.host(key, values[key], port_fix=port_fix)
        except ImproperlyConfigured as exc:
            problems += _problems_of(key, exc)
            del values[key]
    return problems


def check_tenant_placeholders(
    urls: Mapping[str, str | None], root_domain: str | None, *, source: str = ""
) -> None:
    """Raise ``InvalidSettings`` unless the URLs have a tenant placeholder exactly when due
    (see ``tenant_placeholder_problems``)."""
    problems = tenant_placeholder_problems(urls, root_domain, source=source)
    if problems:
        raise InvalidSettings(problems)


def tenant_placeholder_problems(
    urls: Mapping[str, str | None], root_domain: str | None, *, source: str = ""
) -> list[SettingProblem]:
    """Return the problems of URLs that lack a tenant placeholder, or have one, when not due.

    A placeholder is due exactly when ``root_domain`` (``parse_tenant_from_root_domain``) is
    set. ``source`` says where the URLs came from (auto-configuration).
    """
    problems = []
    for key, url in urls.items():
        if url is None:
            continue
        if root_domain and not has_tenant_placeholder(url):
            problems.append(
                fields.fail(
                    key,
                    f"has no {{tenant_name}} placeholder{source}, but "
                    "parse_tenant_from_root_domain is set",
                    f"use e.g. https://{{tenant_name}}.{root_domain}/auth/... or remove "
                    "parse_tenant_from_root_domain",
                )
            )
        if not root_domain and has_tenant_placeholder(url):
            problems.append(
                fields.fail(
                    key,
                    f"contains a tenant placeholder{source}, but parse_tenant_from_root_domain "
                    "is not set",
                    "set parse_tenant_from_root_domain to your root domain (e.g. yourapp.io) or "
                    "remove the placeholder",
                )
            )
    return problems


def _unknown_key_error(key: str) -> SettingProblem:
    """Return the error for an unknown key, naming the known key it most resembles.

    A camelCase key, as the JavaScript SDKs spell it, is compared in snake_case. A name of
    wristband-django-auth's that is not a key here says what replaces it
    (``conf.official_names``), and names a key it is a likely typo of, if another. The key
    named (the replacement, else the likely one) is the problem's ``reference_key``.
    """
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
    candidates = difflib.get_close_matches(snake, sorted(SETTING_KEYS), n=1)
    official = official_names.pointer(key)
    if official is not None:
        entry = official_names.official_name(key)
        typo = difflib.get_close_matches(snake, sorted(SETTING_KEYS), n=1, cutoff=0.85)
        if typo and entry is not None and typo[0] != entry.key:  # redirect_url: redirect_uri?
            official += f'; or did you mean "{typo[0]}"?'
        replacement = entry.key if entry is not None else None
        return fields.fail(key, "is not a known key", official, reference_key=replacement)
    if candidates:
        return fields.fail(
            key,
            "is not a known key",
            f'did you mean "{candidates[0]}"?',
            reference_key=candidates[0],
        )
    return fields.fail(
        key,
        "is not a known key",
        f"the keys are listed at {reference_url(None)}",
        reference_key=None,
    )


def _bounds_problems(values: dict[str, Any]) -> list[SettingProblem]:
    """Return the combinations that would break a guarantee, having filled in a dependent
    default.

    A refresh must not outlive its lock (two refreshes of one session would run at once), and
    the cookie budget must hold the pending logins. The default of ``refresh_lock_timeout``
    depends on ``refresh_timeout``, so it is set here.
    """
    problems = []
    refresh = values.get("refresh_timeout", AuthConfig.refresh_timeout)
    lock = values.setdefault("refresh_lock_timeout", refresh + DEFAULT_LOCK_MARGIN_SECONDS)
    if lock < refresh + LOCK_MARGIN_SECONDS:
        problems.append(
            fields.fail(
                "refresh_lock_timeout",
                f"is {lock:g} s, shorter than refresh_timeout ({refresh:g} s) plus "
                f"{LOCK_MARGIN_SECONDS:g} s: a slow refresh would outlive its lock and a second "
                "request would present the same refresh token",
                f"set it to at least {refresh + LOCK_MARGIN_SECONDS:g}",
            )
        )
    low, high = LOGIN_COOKIE_BUDGET_RANGE
    budget = values.get("login_cookie_budget", AuthConfig.login_cookie_budget)
    if not low <= budget <= high:
        problems.append(
            fields.fail(
                "login_cookie_budget", f"must be between {low} and {high} bytes, not {budget}"
            )
        )
    return problems
