"""Per-process memory of Wristband's answers about tenant custom domains, and the checks.

Confirmed and rejected domains are kept apart, each bounded (``MAX_CONFIRMED_DOMAINS``,
``MAX_REJECTED_DOMAINS``, least recently used evicted), so a flood of random (rejected)
domains never crowds a tenant's confirmed domain out. An answer is trusted
``custom_domain_cache_ttl`` seconds; after that the domain is checked again when the budget
(``check_budget``) allows. A confirmed domain that cannot be checked again right now (no
budget, or Wristband failing) stays confirmed up to ``STALE_CONFIRMATION_FACTOR`` times the
TTL after Wristband last confirmed it; a domain Wristband rejects is forgotten at once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from typing import TypeVar

from wristband_django.conf import AuthConfig, register_cache_reset
from wristband_django.errors import WristbandError
from wristband_django.wristband.backoff import FailureMemory
from wristband_django.wristband.check_budget import CheckBudget
from wristband_django.wristband.client import get_client

logger = logging.getLogger(__name__)

#: At most this many confirmed custom domains are kept per process.
MAX_CONFIRMED_DOMAINS = 1024
#: At most this many rejected custom domains are kept per process, apart from the confirmed.
MAX_REJECTED_DOMAINS = 1024
#: A confirmed domain that cannot be checked again is used up to this many TTLs.
STALE_CONFIRMATION_FACTOR = 12
#: Each kind of "treated as unconfirmed without asking" is logged at most once in this interval.
WARNING_INTERVAL_SECONDS = 60.0

#: (vanity domain, custom domain)
_Key = tuple[str, str]
_V = TypeVar("_V")


class CustomDomainChecks:
    """Wristband's answers about tenant custom domains, the budget for asking, and the
    backoff after a failed check (1 s doubling to 60 s). ``lock`` is never held during I/O.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """Forget every answer, budget and failure."""
        with self.lock:
            #: key -> (check again at, usable until): confirmed domains
            self.confirmed: OrderedDict[_Key, tuple[float, float]] = OrderedDict()
            #: key -> check again at: rejected domains
            self.rejected: OrderedDict[_Key, float] = OrderedDict()
            self.budget = CheckBudget()
            self.backoff = FailureMemory()
            self.warned_at: dict[str, float] = {}

    def is_confirmed(self, config: AuthConfig, domain: str, client: str) -> bool:
        """Return whether ``domain`` is a tenant custom domain, as far as can be known now.

        What can be known depends on Wristband's answers and on the budget of the client
        address ``client`` (a ``client_key``).
        """
        key = (config.wristband_application_vanity_domain, domain)
        with self.lock:
            now = time.monotonic()
            remembered = self._remembered(key, now)
            if remembered is not None:
                return remembered
            stale = key in self.confirmed
            if self.backoff.backing_off():
                refused = "Wristband's domain check failed recently and is backing off"
            else:
                refused = self.budget.take(config.custom_domain_checks_per_minute, client, now)
            if refused and stale:
                return True  # confirmed before, and no check can be made now
            warn = bool(refused) and self._should_warn(refused, now)
        if refused:
            if warn:
                logger.warning(
                    "Tenant custom domain %s (from client address %s) treated as unconfirmed "
                    "without asking Wristband: %s (this warning is shown at most once a minute)",
                    domain,
                    client or "unknown",
                    refused,
                )
            return False
        return self._check(config, key, stale)

    def _remembered(self, key: _Key, now: float) -> bool | None:
        """Return the answer still trusted for ``key``, else ``None``.

        Answers past their use are dropped. Call it with ``lock`` held.
        """
        confirmed = self.confirmed.get(key)
        if confirmed is not None:
            check_at, usable_until = confirmed
            if now < check_at:
                self.confirmed.move_to_end(key)
                return True
            if now >= usable_until:
                del self.confirmed[key]
        check_at_rejected = self.rejected.get(key)
        if check_at_rejected is not None:
            if now < check_at_rejected:
                self.rejected.move_to_end(key)
                return False
            del self.rejected[key]
        return None

    def _should_warn(self, reason: str, now: float) -> bool:
        """Return whether to log a refusal for ``reason`` now (call with ``lock`` held)."""
        if now - self.warned_at.get(reason, -math.inf) < WARNING_INTERVAL_SECONDS:
            return False
        self.warned_at[reason] = now
        return True

    def _check(self, config: AuthConfig, key: _Key, stale: bool) -> bool:
        """Ask Wristband about ``key``'s domain, remember the answer and return it.

        A failure counts as unconfirmed, unless ``stale`` says that the domain was confirmed
        before (an answer due for a check, but still usable).
        """
        try:
            valid = get_client(config).is_tenant_custom_domain_valid(key[1])
        except WristbandError as exc:
            delay = self.backoff.record_failure(exc)
            logger.warning(
                "Could not confirm a tenant custom domain with Wristband (%s); "
                "next check in %.0f s",
                exc.error,
                delay,
            )
            return stale
        ttl = config.custom_domain_cache_ttl
        self.backoff.record_success()
        with self.lock:
            now = time.monotonic()
            if valid:
                self.rejected.pop(key, None)
                until = (now + ttl, now + ttl * STALE_CONFIRMATION_FACTOR)
                _remember(self.confirmed, key, until, MAX_CONFIRMED_DOMAINS)
            else:
                self.confirmed.pop(key, None)
                _remember(self.rejected, key, now + ttl, MAX_REJECTED_DOMAINS)
        return valid


def _remember(memory: OrderedDict[_Key, _V], key: _Key, value: _V, size: int) -> None:
    """Store ``value`` as the most recent entry of ``memory``, which keeps ``size`` at most."""
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > size:
        memory.popitem(last=False)


custom_domain_checks = CustomDomainChecks()
register_cache_reset(custom_domain_checks.clear)
