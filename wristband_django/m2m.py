"""Machine-to-machine access tokens (the ``client_credentials`` grant), shared by all processes.

    from wristband_django.m2m import MachineTokenProvider

    reports_api = MachineTokenProvider(M2M_CLIENT_ID, M2M_CLIENT_SECRET)
    headers = {"Authorization": f"Bearer {reports_api.get_token()}"}

The token is kept in a Django cache, sealed like the session tokens, under a key bound to
the issuer, the client id and the client secret (``flows.machine_tokens``): a provider with
another secret shares nothing with this one. Every process and machine sharing that cache
(Redis, Memcached, a database cache) shares one token and one refresh: the caller holding
the cache's lock requests the new token, the others wait for it. A LocMem cache is per process:
each process then requests its own token. A failed request backs off (1 s, doubling up to
60 s) in the same cache, so an outage costs one request per backoff window, whatever the
number of callers. The Wristband-side settings (timeouts, ``dangerously_allow_http_idp``,
the vanity domain unless given) are ``WRISTBAND_AUTH``'s. Nothing here logs a token or a
secret.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from asgiref.sync import sync_to_async
from django.core.cache import BaseCache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.exceptions import ImproperlyConfigured

from wristband_django.conf import LOCK_MARGIN_SECONDS, AuthConfig, get_config, hostname_error
from wristband_django.deadlines import remaining
from wristband_django.errors import (
    StoreUnavailableError,
    WristbandError,
    WristbandUnavailableError,
)
from wristband_django.flows.machine_tokens import (
    CachedToken,
    CacheKeys,
    cache_keys,
    read_failure,
    read_token,
    record_failure,
    write_token,
)
from wristband_django.store.locks import cache_lock
from wristband_django.store.outages import STORE_ERRORS
from wristband_django.wristband.client import get_client

__all__ = ["MachineTokenProvider"]

logger = logging.getLogger(__name__)

#: The description of the error while a failed token request holds new ones back.
_HELD_BACK = "the last token request failed; no new one for {left:.1f} s: {description}"


class MachineTokenProvider:
    """The access tokens of one Wristband machine-to-machine client.

    Create one per client and share it (a module-level instance is fine: it holds no token
    or connection of its own). ``cache_alias`` names the Django cache holding the token, the
    lock and the backoff; ``refresh_margin``: how long before its expiry a token is replaced
    (at most half its lifetime, so short-lived tokens are not requested on every call).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        cache_alias: str = "default",
        refresh_margin: float = 60.0,
        application_vanity_domain: str | None = None,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("MachineTokenProvider needs the M2M client's id and secret")
        if not f"{client_id}{client_secret}".isascii():
            raise ValueError("the M2M client's id and secret are ASCII (HTTP Basic credentials)")
        if not refresh_margin >= 0:  # also refuses NaN
            raise ValueError("refresh_margin must be a number of seconds >= 0")
        self.client_id = client_id
        self._client_secret = client_secret
        self.cache_alias = cache_alias
        self.refresh_margin = float(refresh_margin)
        self.application_vanity_domain = application_vanity_domain
        self._overridden: tuple[AuthConfig, AuthConfig] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r}, cache={self.cache_alias!r})"

    def get_token(self) -> str:
        """Return a valid access token.

        That is the cached token while it is valid for longer than the refresh margin, else a
        new one, requested by one caller of all those sharing the cache while the others wait
        for it (up to ``call_timeout``).

        When that request fails, or failed recently (backoff: no request then), a cached
        token that has not expired yet is returned even inside the margin. Without one:
        ``WristbandUnavailableError`` (5xx, timeout, connection: retry later),
        ``WristbandError`` (e.g. ``invalid_client``: fix the credentials), or
        ``StoreUnavailableError`` when the cache does not answer.
        """
        config, cache = self._config(), self._token_cache()
        keys = self._keys(config)
        with self._cache_errors():
            cached = read_token(cache, keys)
            if cached is not None and time.time() < cached.refresh_at:
                return cached.value
            left = remaining()
            wait = config.call_timeout if left is None else max(0.0, min(config.call_timeout, left))
            ttl = config.call_timeout + LOCK_MARGIN_SECONDS  # outlives the holder's request
            with cache_lock(cache, keys.lock, ttl=ttl, wait=wait) as acquired:
                cached = read_token(cache, keys)  # the previous holder may have refreshed it
                if cached is not None and time.time() < cached.refresh_at:
                    return cached.value
                if not acquired:
                    busy = WristbandUnavailableError(
                        "m2m_token_busy", "another caller's token request did not finish in time"
                    )
                    return self._unexpired(cached, busy)
                return self._request(config, cache, keys, cached)

    def clear_token(self, token: str | None = None) -> None:
        """Forget the cached token (e.g. after an API answered 401 to it): the next
        ``get_token()`` requests a new one. With ``token``, only if that is still the cached
        one, so callers that all got a 401 do not throw away a token requested meanwhile."""
        config, cache = self._config(), self._token_cache()
        keys = self._keys(config)
        with self._cache_errors():
            if token is not None:
                cached = read_token(cache, keys)
                if cached is None or not secrets.compare_digest(
                    cached.value.encode(), token.encode()
                ):
                    return
            cache.delete(keys.token)
        logger.info("Cleared the Wristband M2M token of client %s", self.client_id)

    async def aget_token(self) -> str:
        """Return ``get_token()`` for async code, from a worker thread (it may wait for a lock)."""
        return await sync_to_async(self.get_token, thread_sensitive=False)()

    async def aclear_token(self, token: str | None = None) -> None:
        """Run ``clear_token()`` for async code."""
        await sync_to_async(self.clear_token, thread_sensitive=False)(token)

    def _request(
        self, config: AuthConfig, cache: BaseCache, keys: CacheKeys, cached: CachedToken | None
    ) -> str:
        """Request a new token (holding the lock), unless backing off; cache it."""
        failure = read_failure(cache, keys)
        now = time.time()
        if failure is not None and failure.holds_back(now):
            return self._unexpired(cached, failure.as_error(now, _HELD_BACK))
        try:
            response = get_client(config).client_credentials(self.client_id, self._client_secret)
        except WristbandError as exc:
            delay = record_failure(cache, keys, failure, exc)
            logger.warning(
                "Wristband M2M token request for client %s failed (%s); next attempt in %.0f s",
                self.client_id,
                exc.error,
                delay,
            )
            return self._unexpired(cached, exc)
        lifetime = response.expires_in
        write_token(cache, keys, response.access_token, lifetime, self.refresh_margin)
        cache.delete(keys.backoff)  # also any record this client cannot open
        logger.info(
            "Wristband M2M token for client %s requested (valid %d s)", self.client_id, lifetime
        )
        return response.access_token

    def _unexpired(self, cached: CachedToken | None, error: WristbandError) -> str:
        """Return the cached token if it has not expired yet (even inside the margin).

        Raise ``error`` otherwise."""
        if cached is None or time.time() >= cached.expires_at:
            raise error
        logger.info(
            "Serving the current Wristband M2M token of client %s, valid %.0f s more (%s)",
            self.client_id,
            cached.expires_at - time.time(),
            error.error,
        )
        return cached.value

    def _keys(self, config: AuthConfig) -> CacheKeys:
        """Return this client's cache keys, bound to its secret: another secret shares none."""
        return cache_keys(config.issuer, self.client_id, self._client_secret)

    def _token_cache(self) -> BaseCache:
        cache = caches[self.cache_alias]
        if isinstance(cache, DummyCache):
            raise ImproperlyConfigured(
                f"CACHES[{self.cache_alias!r}] is a DummyCache, which keeps nothing: every "
                "get_token() would request a token. Give MachineTokenProvider a cache all "
                "processes share (Redis, Memcached, a database cache), or LocMem in development."
            )
        return cache

    def _config(self) -> AuthConfig:
        """Return ``WRISTBAND_AUTH``'s configuration, on this provider's vanity domain if set."""
        config = get_config()
        domain = self.application_vanity_domain
        if domain is None or domain == config.wristband_application_vanity_domain:
            return config
        known = self._overridden
        if known is not None and known[0] is config:
            return known[1]
        problem = hostname_error(domain, allow_port=True)  # as the vanity domain setting
        if problem:
            raise ImproperlyConfigured(
                f"MachineTokenProvider's application_vanity_domain {problem}"
            )
        overridden = replace(config, wristband_application_vanity_domain=domain)
        self._overridden = (config, overridden)
        return overridden

    @contextmanager
    def _cache_errors(self) -> Iterator[None]:
        try:
            yield
        except STORE_ERRORS as exc:
            raise StoreUnavailableError(
                f"the cache {self.cache_alias!r} holding the M2M token did not answer"
            ) from exc
