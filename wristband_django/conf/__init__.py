"""``settings.WRISTBAND_AUTH`` -> a frozen, validated ``AuthConfig``.

Parsing is lazy and follows the settings object, so ``override_settings`` works.
Every mistake raises ``ImproperlyConfigured`` naming the key and the fix; no
message ever contains a secret's value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from wristband_django.conf.auth_config import AuthConfig
from wristband_django.conf.bounds import LOCK_MARGIN_SECONDS
from wristband_django.conf.docs_links import docs_url
from wristband_django.conf.fields import SETTING, SettingProblem
from wristband_django.conf.hosts import (
    DNS_LABEL,
    fill_tenant_placeholder,
    has_tenant_placeholder,
    hostname_error,
    is_absolute_http_url,
)
from wristband_django.conf.parsing import SETTING_KEYS
from wristband_django.conf.validation import (
    InvalidSettings,
    check_tenant_placeholders,
    parse_auth_config,
)

__all__ = [
    "DNS_LABEL",
    "LOCK_MARGIN_SECONDS",
    "SETTING",
    "SETTING_KEYS",
    "AuthConfig",
    "InvalidSettings",
    "SettingProblem",
    "check_tenant_placeholders",
    "fill_tenant_placeholder",
    "get_config",
    "has_tenant_placeholder",
    "hostname_error",
    "is_absolute_http_url",
    "parse_auth_config",
    "register_cache_reset",
]


_lock = threading.Lock()
_parsed: tuple[object, AuthConfig] | None = None
#: Where Django's ``settings`` object keeps each setting once read (and drops it when it
#: changes): reading the setting there runs no Python code. Only a fast path: a setting
#: not there is read from ``settings`` itself.
_read_settings: dict[str, Any] = object.__getattribute__(settings, "__dict__")
_cache_resetters: list[Callable[[], None]] = []


def register_cache_reset(reset: Callable[[], None]) -> None:
    """Run ``reset`` whenever ``WRISTBAND_AUTH`` changes: per-process caches derive from it."""
    _cache_resetters.append(reset)


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        for reset in _cache_resetters:
            reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="wristband_django.conf")


def get_config() -> AuthConfig:
    """Return the ``AuthConfig`` for the current settings, parsed again when they change.

    Raise ``ImproperlyConfigured`` when ``WRISTBAND_AUTH`` is missing, ``InvalidSettings``
    (naming every problem) when it is invalid.
    """
    global _parsed
    cached = _parsed
    if cached is not None and _read_settings.get(SETTING) is cached[0]:
        return cached[1]  # every request asks, some code more than once
    raw = getattr(settings, SETTING, None)
    if raw is None:
        raise ImproperlyConfigured(
            f"settings.{SETTING} is missing; add a dict with client_id, client_secret and "
            f"wristband_application_vanity_domain (see {docs_url('quickstart')})"
        )
    cached = _parsed
    if cached is not None and cached[0] is raw:
        return cached[1]
    config = parse_auth_config(raw)
    with _lock:
        # Holding ``raw`` keeps its identity from being reused by another dict.
        _parsed = (raw, config)
    return config
