"""The views of j, the soak (``bench/soak.py``): a session view, a bearer view, machine tokens,
and ``/bench/caches/``, which reports every per-process cache of the package.

The views use the package's public API only (``@wristband_required``,
``MachineTokenProvider``). ``/bench/caches/`` reads the package's internals, since most of its
caches have no public size: it answers, for the worker that serves it, each cache's size and
its bound, and the process's resident memory.
"""

from __future__ import annotations

import gc
import os
import threading
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from benchsite.soak_clients import machine_client, rss_kib
from wristband_django.decorators import wristband_required
from wristband_django.m2m import MachineTokenProvider

#: The machine clients the fake knows: ids ``soak-m2m-<n>``, secrets derived from this
#: server's secret key (``soak_clients.machine_client``, which the runner uses too).
MACHINE_CLIENTS = int(os.environ.get("BENCH_SOAK_MACHINE_CLIENTS", "0"))


_providers: dict[int, MachineTokenProvider] = {}
_providers_lock = threading.Lock()


def _provider(index: int) -> MachineTokenProvider:
    """The provider of machine client ``index``, one per process (as a project keeps one per
    client at module level)."""
    with _providers_lock:
        provider = _providers.get(index)
        if provider is None:
            provider = _providers[index] = MachineTokenProvider(
                *machine_client(index, settings.SECRET_KEY)
            )
        return provider


@wristband_required
def session_hello(request: HttpRequest) -> JsonResponse:
    """The session's user id (the decorator answers 401 without a session)."""
    return JsonResponse({"hello": request.wristband_user.user_id})  # type: ignore[attr-defined]


@wristband_required(strategies=("bearer",))
def bearer_hello(request: HttpRequest) -> JsonResponse:
    """The bearer token's user id and client id."""
    token = request.wristband_token  # type: ignore[attr-defined]
    return JsonResponse({"hello": token.user_id, "client_id": token.client_id})


def machine_token(request: HttpRequest, index: int) -> JsonResponse:
    """Get machine client ``index``'s token through ``MachineTokenProvider`` (the Redis cache,
    shared by the workers); answer its length, never the token."""
    if not 0 <= index < MACHINE_CLIENTS:
        return JsonResponse({"error": "no such machine client"}, status=404)
    token = _provider(index).get_token()
    return JsonResponse({"client_id": machine_client(index, "")[0], "length": len(token)})


def _lru(function: Any) -> dict[str, int]:
    info = function.cache_info()
    return {"size": info.currsize, "bound": info.maxsize}


def _caches(count_objects: bool) -> dict[str, dict[str, Any]]:
    """Every per-process cache of the package: ``{name: {"holds", "size", "bound"}}``.

    ``bound`` is ``None`` for a cache without one. Names say what each holds. With
    ``count_objects``, the live typed users are counted (a full collection, then a walk over
    every object the garbage collector tracks: tens of milliseconds); without, their size is
    ``None``.
    """
    from wristband_django.conf import get_config
    from wristband_django.flows import machine_tokens, popup_login
    from wristband_django.middleware import _compile
    from wristband_django.store import sealing, session_entry, tenant_directory
    from wristband_django.telemetry import describe
    from wristband_django.types import WristbandSession, WristbandUser
    from wristband_django.wristband import (
        auto_configuration,
        check_budget,
        client,
        jwks,
        prepared,
        validated_tokens,
    )
    from wristband_django.wristband.custom_domains import (
        MAX_CONFIRMED_DOMAINS,
        MAX_REJECTED_DOMAINS,
        custom_domain_checks,
    )

    config = get_config()
    with jwks._jwks.lock:
        issuers = list(jwks._jwks.issuers.values())
    with custom_domain_checks.lock:
        confirmed = len(custom_domain_checks.confirmed)
        rejected = len(custom_domain_checks.rejected)
        clients = len(custom_domain_checks.budget.clients)
    with tenant_directory._memory.lock:
        pairs = len(tenant_directory._memory.pairs)
    # Typed users live on the session entries and the validated tokens' claims they were
    # built from; count the live objects.
    live: dict[type, int | None] = {WristbandUser: None, WristbandSession: None}
    if count_objects:
        gc.collect()  # garbage in reference cycles is no live object
        counts = {WristbandUser: 0, WristbandSession: 0}
        for obj in gc.get_objects():
            kind = type(obj)
            if kind in counts:
                counts[kind] += 1
        live.update(counts)
    entries = _lru(session_entry._opened)
    caches: dict[str, dict[str, Any]] = {
        "signing keys": {
            "holds": "Wristband's JWKS keys, per issuer (wristband/jwks.py)",
            "size": sum(len(state.keys or {}) for state in issuers),
            "bound": config.jwks_cache_max_size * max(1, len(issuers)),
            "issuers": len(issuers),
        },
        "confirmed custom domains": {
            "holds": "tenant custom domains Wristband confirmed (wristband/custom_domains.py)",
            "size": confirmed,
            "bound": MAX_CONFIRMED_DOMAINS,
        },
        "rejected custom domains": {
            "holds": "custom domains Wristband rejected (wristband/custom_domains.py)",
            "size": rejected,
            "bound": MAX_REJECTED_DOMAINS,
        },
        "domain-check budgets": {
            "holds": "a token bucket per client address asking for domain checks "
            "(wristband/check_budget.py)",
            "size": clients,
            "bound": check_budget.MAX_CLIENTS,
        },
        "tenant directory": {
            "holds": "tenant name/custom domain/authorize host -> tenant id pairs, and the names "
            "the site knew no tenant for; expired ones stay until pushed out "
            "(store/tenant_directory.py)",
            "size": pairs,
            "bound": tenant_directory.MEMORY_SIZE,
        },
        "session entries": {
            "holds": "opened (decrypted) session entries, by sealed value (store/session_entry.py)",
            **entries,
        },
        "typed users": {
            "holds": "WristbandUser objects, one built per session entry or validated "
            "bearer token's claims and kept on it (types: WristbandUser.from_session, "
            "from_access_token)",
            "size": live[WristbandUser],
            "bound": None,  # bounded by the caches holding them: session entries, validated tokens
            "session_entries_alive": live[WristbandSession],
        },
        "derived ciphers": {
            "holds": "AES-GCM keys derived per secret and purpose (store/sealing.py _cipher)",
            **_lru(sealing._cipher),
        },
        "machine-token key HMACs": {
            "holds": "the HMAC key of machine-token cache names, per server secret "
            "(flows/machine_tokens.py)",
            **_lru(machine_tokens._hmac_key),
        },
        "Wristband clients": {
            "holds": "HTTP clients (connection pools), one per configuration (wristband/client.py)",
            "size": len(client._clients),
            "bound": client.MAX_CACHED_CLIENTS,
        },
        "auto-configuration": {
            "holds": "the resolved SDK configuration (wristband/auto_configuration.py)",
            "size": len(auto_configuration._resolver.resolved),
            "bound": 1,  # replaced, never added to
        },
        "prepared endpoint requests": {
            "holds": "each Wristband endpoint's request prepared once, per client "
            "(wristband/prepared.py)",
            "size": sum(len(c._prepared._prepared) for c in list(client._clients.values())),
            "bound": prepared.MAX_TEMPLATES * client.MAX_CACHED_CLIENTS,
        },
        "popup page paths": {
            "holds": "the popup page's path per URLconf and script prefix (flows/popup_login.py)",
            "size": len(popup_login._pages),
            "bound": popup_login._MAX_PAGES,
        },
        "protected-path patterns": {
            "holds": "compiled protected_paths (middleware.py)",
            **_lru(_compile),
        },
        "telemetry server addresses": {
            "holds": "Wristband's host and port per base URL (telemetry/describe.py)",
            **_lru(describe.server),
        },
    }
    opened = getattr(sealing, "_open", None)
    if hasattr(opened, "cache_info"):  # a cache of opened values, where the package has one
        caches["opened sealed values"] = {
            "holds": "decrypted token-at-rest values: machine-token records, login-record "
            "session keys (store/sealing.py _open)",
            **_lru(opened),
        }
    found = validated_tokens.stats()
    caches["validated bearer tokens"] = {
        "holds": "digests of bearer access tokens that passed every check, with their claims "
        "(wristband/validated_tokens.py)",
        "size": int(found["entries"]),
        "bound": int(found["max_entries"]),
    }
    return caches


def caches(request: HttpRequest) -> JsonResponse:
    """This worker's pid, resident memory (KiB) and every package cache (``?objects=1``: with
    the live typed users counted)."""
    found = _caches(count_objects=request.GET.get("objects") == "1")
    return JsonResponse({"pid": os.getpid(), "rss_kib": rss_kib(), "caches": found})
