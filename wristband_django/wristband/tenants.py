"""Which tenant a request is about: the seed's precedence rules, with every input checked.

No query parameter can point the browser at a host outside Wristband's: a tenant
name must be a DNS label, and a tenant custom domain must be confirmed by the
configured allow-list or by Wristband's ``custom-domains/validate`` endpoint.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.http import HttpRequest

from wristband_django.conf import DNS_LABEL, AuthConfig, hostname_error, register_cache_reset
from wristband_django.errors import WristbandError
from wristband_django.wristband.backoff import backoff_seconds
from wristband_django.wristband.client import get_client

logger = logging.getLogger(__name__)

#: At most this many custom domains' answers (confirmed or rejected) are kept per process.
MAX_CACHED_DOMAINS = 1024
#: The token bucket's size: uncached checks one burst of requests may trigger at once.
MAX_CHECK_BURST = 10
#: "Treated as unconfirmed without asking" is logged at most once in this interval.
WARNING_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class Tenant:
    """A resolved tenant: a name, a custom domain, or both."""

    name: str | None = None
    custom_domain: str | None = None

    def __bool__(self) -> bool:
        return bool(self.name or self.custom_domain)


def clean_tenant_name(value: str | None) -> str | None:
    """``value`` lower-cased if it is a DNS label, else ``None``."""
    if not value:
        return None
    value = value.lower()
    return value if DNS_LABEL.match(value) else None


def tenant_name_params(request: HttpRequest) -> tuple[str, ...]:
    """The tenant names a request's query gives: ``tenant_name``, then its legacy alias
    ``tenant_domain`` (each only when present), unchecked."""
    values = (request.GET.get("tenant_name"), request.GET.get("tenant_domain"))
    return tuple(value for value in values if value)


def requested_tenant_name(request: HttpRequest) -> str | None:
    """The tenant name the query asks for, if it is a DNS label (``tenant_name`` first)."""
    names = tenant_name_params(request)
    return clean_tenant_name(names[0]) if names else None


def subdomain_tenant(request: HttpRequest, root_domain: str | None) -> str | None:
    """The tenant label in ``<tenant>.<root_domain>`` of the request host, if any."""
    if not root_domain:
        return None
    host = request.get_host().rsplit(":", 1)[0].lower()
    suffix = f".{root_domain}"
    return clean_tenant_name(host[: -len(suffix)]) if host.endswith(suffix) else None


class _Confirmations:
    """Per-process memory of Wristband's answers about tenant custom domains, and the limits
    on asking: anonymous requests choose the domain, so they must not choose how often this
    process calls Wristband.

    Confirmations and rejections are kept ``custom_domain_cache_ttl`` seconds (at most
    ``MAX_CACHED_DOMAINS``, oldest evicted). Uncached checks take a token from a bucket
    refilled at ``custom_domain_checks_per_minute`` (burst ``MAX_CHECK_BURST`` at most);
    after a failed check, checks back off (1 s doubling to 60 s). An empty bucket or a
    backoff makes the domain unconfirmed without a call. ``lock`` is never held during I/O.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self.lock:
            #: (vanity domain, custom domain) -> (expires at, Wristband's answer)
            self.answers: OrderedDict[tuple[str, str], tuple[float, bool]] = OrderedDict()
            self.tokens: float | None = None  # None: a full bucket on first use
            self.filled_at = 0.0
            self.failures = 0
            self.retry_at = 0.0
            self.warned_at = -math.inf

    def is_confirmed(self, config: AuthConfig, domain: str) -> bool:
        key = (config.wristband_application_vanity_domain, domain)
        with self.lock:
            now = time.monotonic()
            cached = self.answers.get(key)
            if cached is not None:
                if now < cached[0]:
                    return cached[1]
                del self.answers[key]
            if now < self.retry_at:
                refused = "Wristband's domain check failed recently and is backing off"
            elif not self._take_token(config, now):
                refused = (
                    "more than custom_domain_checks_per_minute "
                    f"({config.custom_domain_checks_per_minute}) uncached checks"
                )
            else:
                refused = ""
            warn = bool(refused) and now - self.warned_at >= WARNING_INTERVAL_SECONDS
            if warn:
                self.warned_at = now
        if refused:
            if warn:
                logger.warning(
                    "Tenant custom domain %s treated as unconfirmed without asking Wristband: "
                    "%s (this warning is shown at most once a minute)",
                    domain,
                    refused,
                )
            return False
        try:
            valid = get_client(config).is_tenant_custom_domain_valid(domain)
        except WristbandError as exc:
            with self.lock:
                self.failures += 1
                delay = backoff_seconds(self.failures)
                self.retry_at = time.monotonic() + delay
            logger.warning(
                "Could not confirm a tenant custom domain with Wristband (%s); "
                "next check in %.0f s",
                exc.error,
                delay,
            )
            return False
        with self.lock:
            self.failures = 0
            self.answers[key] = (time.monotonic() + config.custom_domain_cache_ttl, valid)
            self.answers.move_to_end(key)
            while len(self.answers) > MAX_CACHED_DOMAINS:
                self.answers.popitem(last=False)
        return valid

    def _take_token(self, config: AuthConfig, now: float) -> bool:
        """Take one check from the token bucket (call with ``lock`` held)."""
        rate = config.custom_domain_checks_per_minute
        capacity = float(min(MAX_CHECK_BURST, rate))
        if self.tokens is None:
            self.tokens = capacity
        else:
            refill = (now - self.filled_at) * rate / 60.0
            self.tokens = min(capacity, self.tokens + refill)
        self.filled_at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


_confirmations = _Confirmations()
register_cache_reset(_confirmations.clear)


def clean_custom_domain(config: AuthConfig, value: str | None) -> str | None:
    """``value`` if it is a tenant custom domain Wristband (or the allow-list) confirms.

    Without an allow-list, Wristband is asked within the limits of ``_Confirmations``: a
    domain that cannot be checked right now counts as unconfirmed (``None``)."""
    if not value:
        return None
    domain = value.strip().lower()
    if hostname_error(domain, allow_port=config.dangerously_allow_http_idp):
        return None
    if config.tenant_custom_domains is not None:
        return domain if domain in config.tenant_custom_domains else None
    return domain if _confirmations.is_confirmed(config, domain) else None


def resolve_login_tenant(
    request: HttpRequest,
    config: AuthConfig,
    root_domain: str | None,
    *,
    default_tenant_name: str | None,
    default_tenant_custom_domain: str | None,
) -> Tenant:
    """The tenant to log in to, in the seed's order: ``tenant_custom_domain`` param, host
    subdomain, ``tenant_name`` param (or legacy ``tenant_domain``), the default custom
    domain, the default name. An empty ``Tenant`` means the application-level login page."""
    subdomain = subdomain_tenant(request, root_domain)
    custom_domain = clean_custom_domain(config, request.GET.get("tenant_custom_domain"))
    if custom_domain:
        return Tenant(name=subdomain, custom_domain=custom_domain)
    if subdomain:
        return Tenant(name=subdomain)
    name = requested_tenant_name(request)
    if name:
        return Tenant(name=name)
    if default_tenant_custom_domain:
        return Tenant(custom_domain=default_tenant_custom_domain)
    return Tenant(name=default_tenant_name)


def resolve_logout_tenant(
    request: HttpRequest, config: AuthConfig, root_domain: str | None, stored: Tenant
) -> Tenant:
    """The tenant whose Wristband session to end: the session's values first, then the
    ``tenant_custom_domain`` param, the host subdomain, the ``tenant_name`` param."""
    if stored:
        return stored
    custom_domain = clean_custom_domain(config, request.GET.get("tenant_custom_domain"))
    if custom_domain:
        return Tenant(custom_domain=custom_domain)
    name = subdomain_tenant(request, root_domain) or requested_tenant_name(request)
    return Tenant(name=name)
