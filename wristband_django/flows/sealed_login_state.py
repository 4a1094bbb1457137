"""``LoginState``: what the callback needs to finish a login, and how it is sealed into the
value of its cookie (``flows.login_state`` keeps the cookies themselves).

The ``state``, PKCE verifier and nonce derive from one random seed, so the cookie carries 32
random bytes, not three values. Each value is sealed (``store.sealing``: AES-256-GCM, HKDF
keys) with ``login_state_secret`` (the first secret seals, all open: that is how secrets
rotate), bound to its cookie's name (``login#`` and 16 characters of a hash of the
``state``). A tenant-level login state binds the tenant the authorize request was sent to; an
application-level one (Wristband's tenant discovery on the application vanity domain) binds
none, and its callback confirms the tenant Wristband chose (``flows.tenant_confirmation``).
The login state also remembers the ``prompt`` and ``max_age`` it asked Wristband for, and
counts the times the login was restarted (``flows.login_restarts``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeGuard

from wristband_django.store.sealing import seal, unseal

COOKIE_PREFIX = "login#"
MAX_AGE_SECONDS = 3600
#: Creation times are strictly increasing per process (so a little ahead of the clock), and
#: several app servers' clocks differ a little.
MAX_CLOCK_SKEW_SECONDS = 60
#: Characters of the state's hash in a cookie's name (96 bits: two logins never share one).
_NAME_HASH_CHARS = 16
#: The most restarts a login state may say it has had (``flows.login_restarts`` stops
#: far below); a larger number is a malformed login state.
MAX_RESTART_COUNT = 99
#: Between the seed's part of a ``state`` and the restart count it may end with.
_RESTARTS_SEPARATOR = "."
_VERSION = b"\x02"
_PURPOSE = b"login-state-cookie v2"
_SEED_BYTES = 32


def _derive(seed: str, purpose: bytes) -> str:
    digest = hmac.new(seed.encode("ascii"), purpose, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def restarts_in_state(state: str) -> int:
    """Return the restart count a ``state`` ends with (``0`` if none, or not a count).

    The count is unsigned: it is read only when no login state matches the callback
    (``flows.login_restarts``)."""
    _, separator, count = state.rpartition(_RESTARTS_SEPARATOR)
    if not separator or not count.isascii() or not count.isdigit() or len(count) > 2:
        return 0
    return int(count)


@dataclass(frozen=True)
class LoginState:
    """Everything the callback needs from the login that started it."""

    seed: str
    created_at_ms: int
    tenant_name: str | None
    tenant_custom_domain: str | None
    return_url: str | None
    custom_state: Any
    #: The authorize request's ``prompt`` (``"login"``, ``"none"``) and ``max_age`` (seconds).
    prompt: str | None = None
    max_age: int | None = None
    #: How many times the callback restarted this login before this attempt (0: a new one).
    restarts: int = 0
    #: The ``Domain`` of its cookie: the root domain for an application-level login with
    #: tenant subdomains (its callback comes back on the subdomain of the tenant Wristband
    #: chose); ``None``, the host's own cookie, otherwise.
    cookie_domain: str | None = None

    @classmethod
    def new(cls, **fields: Any) -> LoginState:
        seed = base64.urlsafe_b64encode(os.urandom(_SEED_BYTES)).rstrip(b"=").decode("ascii")
        return cls(seed=seed, **fields)

    @property
    def is_application_level(self) -> bool:
        """Tell whether the login was started without a tenant (application-level authorize):
        then it binds no tenant, and Wristband's choice is confirmed at the callback."""
        return not self.tenant_name and not self.tenant_custom_domain

    @cached_property  # derived once per object (HMAC): the object is immutable
    def state(self) -> str:
        """Return the OAuth ``state``, which is public (it travels in URLs) and reveals nothing.

        A restarted login's state ends with its restart count (``.1``, ``.2``)."""
        core = _derive(self.seed, b"state")
        return f"{core}{_RESTARTS_SEPARATOR}{self.restarts}" if self.restarts else core

    @cached_property
    def cookie_name(self) -> str:
        """Return the name of the cookie holding this login state."""
        return cookie_name(self.state)

    @cached_property
    def code_verifier(self) -> str:
        return _derive(self.seed, b"pkce-verifier")

    @cached_property
    def nonce(self) -> str:
        return _derive(self.seed, b"oidc-nonce")

    def is_expired(self, now_ms: int | None = None) -> bool:
        """Tell whether this is over an hour old, or ahead by more than the servers' clock skew."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        age = now_ms - self.created_at_ms
        return not -MAX_CLOCK_SKEW_SECONDS * 1000 <= age <= MAX_AGE_SECONDS * 1000

    def _plaintext(self) -> bytes:
        fields = {
            "s": self.seed,
            "t": self.created_at_ms,
            "n": self.tenant_name,
            "d": self.tenant_custom_domain,
            "r": self.return_url,
            "c": self.custom_state,
            "p": self.prompt,
            "m": self.max_age,
            "k": self.restarts or None,
            "o": self.cookie_domain,
        }
        compact = {key: value for key, value in fields.items() if value is not None}
        return json.dumps(compact, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def _from_plaintext(cls, plaintext: bytes) -> LoginState | None:
        try:
            fields = json.loads(plaintext)
        except ValueError:
            return None
        if not isinstance(fields, dict):
            return None
        seed, created = fields.get("s"), fields.get("t")
        if not isinstance(seed, str) or not _is_int(created):
            return None
        prompt, max_age, restarts = fields.get("p"), fields.get("m"), fields.get("k", 0)
        if prompt is not None and not isinstance(prompt, str):
            return None
        if max_age is not None and not _is_int(max_age):
            return None
        if not _is_int(restarts) or not 0 <= restarts <= MAX_RESTART_COUNT:
            return None
        cookie_domain = fields.get("o")
        if cookie_domain is not None and not isinstance(cookie_domain, str):
            return None
        return cls(
            seed=seed,
            created_at_ms=created,
            tenant_name=fields.get("n"),
            tenant_custom_domain=fields.get("d"),
            return_url=fields.get("r"),
            custom_state=fields.get("c"),
            prompt=prompt,
            max_age=max_age,
            restarts=restarts,
            cookie_domain=cookie_domain,
        )


def _is_int(value: object) -> TypeGuard[int]:
    """Tell whether ``value`` is a JSON integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def cookie_name(state: str) -> str:
    """Return the name of the cookie of the login whose ``state`` is ``state``."""
    digest = hashlib.sha256(state.encode("utf-8", "surrogatepass")).digest()
    return COOKIE_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")[:_NAME_HASH_CHARS]


def encrypt(login_state: LoginState, cookie_name: str, secrets_: Sequence[str]) -> str:
    """Return ``login_state`` sealed as the value of ``cookie_name`` (URL-safe base64, unpadded)."""
    sealed = seal(
        login_state._plaintext(), purpose=_PURPOSE, aad=cookie_name.encode(), secrets=secrets_
    )
    return base64.urlsafe_b64encode(_VERSION + sealed).rstrip(b"=").decode()


def decrypt(value: str, cookie_name: str, secrets_: Sequence[str]) -> LoginState | None:
    """Return the cookie value's ``LoginState``, or ``None`` if tampered, foreign or malformed."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(_VERSION):
        return None
    opened = unseal(raw[1:], purpose=_PURPOSE, aad=cookie_name.encode(), secrets=secrets_)
    return LoginState._from_plaintext(opened) if opened is not None else None
