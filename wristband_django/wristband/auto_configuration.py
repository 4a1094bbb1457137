"""Auto-configuration: fill the settings' gaps from Wristband's sdk-configuration endpoint.

Manual values always win. The fetch happens once per process (single-flight);
a failure is not cached forever, but repeated failures back off so a down IdP
does not make every request wait for the full timeout.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from wristband_django.conf import (
    AuthConfig,
    check_tenant_placeholders,
    get_config,
    hostname_error,
    is_absolute_http_url,
    register_cache_reset,
)
from wristband_django.errors import InvalidResponseError, WristbandError
from wristband_django.wristband.backoff import FailureMemory
from wristband_django.wristband.client import get_client

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SdkConfiguration:
    """The auto-configurable settings, resolved (manual values first, then Wristband's)."""

    login_url: str
    redirect_uri: str
    is_application_custom_domain_active: bool
    custom_application_login_page_url: str | None
    parse_tenant_from_root_domain: str | None
    #: A login without a tenant goes to the application-level authorize endpoint (Wristband's
    #: application-level authorization requests), not to the application login page.
    application_authorization_requests_enabled: bool = False


_FIELDS = {  # our key -> (Wristband's key, expected type)
    "login_url": ("loginUrl", str),
    "redirect_uri": ("redirectUri", str),
    "is_application_custom_domain_active": ("isApplicationCustomDomainActive", bool),
    "custom_application_login_page_url": ("customApplicationLoginPageUrl", str),
    "parse_tenant_from_root_domain": ("loginUrlTenantDomainSuffix", str),
    "application_authorization_requests_enabled": ("applicationAuthorizationRequestsEnabled", bool),
}
_REQUIRED = ("login_url", "redirect_uri")
#: Fields read from Wristband only when it is asked for another one: a project that sets every
#: other value by hand keeps needing no call to Wristband at startup (the default, ``False``,
#: is what such a project had before Wristband reported this field).
_READ_WHEN_FETCHED = ("application_authorization_requests_enabled",)


def _needs_fetch(config: AuthConfig) -> bool:
    return config.auto_configure_enabled and any(
        getattr(config, key) is None for key in _FIELDS if key not in _READ_WHEN_FETCHED
    )


def _parse_remote(body: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, (remote_key, expected) in _FIELDS.items():
        value = body.get(remote_key)
        if value is None or value == "":
            continue
        if not isinstance(value, expected):
            raise InvalidResponseError(
                "invalid_sdk_configuration", f"{remote_key} is not a {expected.__name__}"
            )
        values[key] = value
    for key in ("login_url", "redirect_uri", "custom_application_login_page_url"):
        if key in values and not is_absolute_http_url(values[key]):
            raise InvalidResponseError(
                "invalid_sdk_configuration", f"{_FIELDS[key][0]} is not an absolute http(s) URL"
            )
    root = values.get("parse_tenant_from_root_domain")
    if root is not None and hostname_error(root, allow_port=False):
        raise InvalidResponseError(
            "invalid_sdk_configuration", "loginUrlTenantDomainSuffix is not a host name"
        )
    return values


def _merge(config: AuthConfig, remote: dict[str, Any]) -> SdkConfiguration:
    merged = {key: getattr(config, key) for key in _FIELDS}
    from_remote = set()
    for key, value in remote.items():
        if merged[key] is None:
            merged[key] = value
            from_remote.add(key)
    for key in _REQUIRED:
        if merged[key] is None:
            raise ImproperlyConfigured(
                f'WRISTBAND_AUTH["{key}"] is not set and Wristband\'s sdk-configuration did not '
                "provide it; set it explicitly"
            )
    source = " (the value came from Wristband's sdk-configuration)" if from_remote else ""
    check_tenant_placeholders(
        {key: merged[key] for key in _REQUIRED},
        merged["parse_tenant_from_root_domain"],
        source=source,
    )
    for flag in (
        "is_application_custom_domain_active",
        "application_authorization_requests_enabled",
    ):
        merged[flag] = bool(merged[flag])
    return SdkConfiguration(**merged)


class _Resolver:
    """Per-process cache of the resolved configuration, with backoff on failure."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.resolved: dict[AuthConfig, SdkConfiguration] = {}
        #: The last answer and its configuration object: a hit compares identity, hashing
        #: nothing (every request that reads a host's tenant asks).
        self.last: tuple[AuthConfig, SdkConfiguration] | None = None
        self.backoff = FailureMemory()
        self.failed_config: AuthConfig | None = None

    def get(self, config: AuthConfig) -> SdkConfiguration:
        last = self.last
        if last is not None and last[0] is config:
            return last[1]
        cached = self.resolved.get(config)
        if cached is not None:
            self.last = (config, cached)
            return cached
        if not _needs_fetch(config):
            merged = _merge(config, {})
            self.last = (config, merged)
            return merged
        with self.lock:  # single-flight: concurrent first requests share one fetch
            cached = self.resolved.get(config)
            if cached is not None:
                return cached
            if self.failed_config != config:  # another configuration's failures
                self.backoff.record_success()
            # The same kind as the failure: an outage stays a 503 (retryable) while backing off.
            self.backoff.raise_if_backing_off(
                "auto-configuration failed recently and is backing off: {description}"
            )
            try:
                resolved = _merge(config, _parse_remote(get_client(config).sdk_configuration()))
            except WristbandError as exc:
                delay = self.backoff.record_failure(exc)
                self.failed_config = config
                logger.warning(
                    "Wristband auto-configuration failed (%s); next attempt in %.0f s",
                    exc.error,
                    delay,
                )
                raise
            self.resolved = {config: resolved}
            self.last = (config, resolved)
            self.backoff.record_success()
            self.failed_config = None
            return resolved


_resolver = _Resolver()
register_cache_reset(_resolver.clear)


def get_sdk_configuration(config: AuthConfig | None = None) -> SdkConfiguration:
    """Return the resolved auto-configurable settings, fetched from Wristband on first use."""
    last = _resolver.last  # as _resolver.get() first does, without the call: hosts ask often
    if last is not None and last[0] is config:
        return last[1]
    return _resolver.get(config or get_config())
