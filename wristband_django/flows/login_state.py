"""The login-state cookies: what the callback needs to finish a login, encrypted and authenticated.

A browser holds at most three pending logins, in three fixed cookie slots (``login#0`` …
``login#2``): a new login takes a free slot or the oldest one, so no interleaving of
concurrent logins (six tabs at once) can leave more than three cookies, and together they
stay within ``login_cookie_budget`` bytes of the Cookie header. Each value is sealed
(``store.sealing``: AES-256-GCM, HKDF keys) with ``login_state_secret`` (the first secret
seals, all open: that is how secrets rotate), bound to its slot's name. The ``state``,
PKCE verifier and nonce derive from one random seed, so the cookie carries 32 random bytes,
not three values. The login state binds the tenant the authorize request was sent to, and
remembers the ``prompt`` and ``max_age`` it asked Wristband for (the callback answers a
``prompt=none`` login's ``login_required`` and checks ``auth_time`` against ``max_age``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.http import HttpRequest, HttpResponse

from wristband_django.store.sealing import seal, unseal

logger = logging.getLogger(__name__)

COOKIE_PREFIX = "login#"
MAX_AGE_SECONDS = 3600
#: Creation times are strictly increasing per process (so a little ahead of the clock), and
#: several app servers' clocks differ a little.
MAX_CLOCK_SKEW_SECONDS = 60
MAX_PENDING_LOGINS = 3
SLOT_NAMES = tuple(f"{COOKIE_PREFIX}{slot}" for slot in range(MAX_PENDING_LOGINS))
#: "; " between two cookies in the Cookie header.
_SEPARATOR_BYTES = 2
_VERSION = b"\x02"
_PURPOSE = b"login-state-cookie v2"
_SEED_BYTES = 32


def _derive(seed: str, purpose: bytes) -> str:
    digest = hmac.new(seed.encode("ascii"), purpose, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


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

    @classmethod
    def new(cls, **fields: Any) -> LoginState:
        seed = base64.urlsafe_b64encode(os.urandom(_SEED_BYTES)).rstrip(b"=").decode("ascii")
        return cls(seed=seed, **fields)

    @property
    def state(self) -> str:
        """The OAuth ``state``: public (it travels in URLs), so it reveals nothing else."""
        return _derive(self.seed, b"state")

    @property
    def code_verifier(self) -> str:
        return _derive(self.seed, b"pkce-verifier")

    @property
    def nonce(self) -> str:
        return _derive(self.seed, b"oidc-nonce")

    def is_expired(self, now_ms: int | None = None) -> bool:
        """Older than an hour, or from the future beyond the clock skew of servers."""
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
        if not isinstance(seed, str) or isinstance(created, bool) or not isinstance(created, int):
            return None
        prompt, max_age = fields.get("p"), fields.get("m")
        if prompt is not None and not isinstance(prompt, str):
            return None
        if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int)):
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
        )


def encrypt(login_state: LoginState, cookie_name: str, secrets_: Sequence[str]) -> str:
    """The value of ``cookie_name`` holding ``login_state`` (URL-safe base64, no padding)."""
    sealed = seal(
        login_state._plaintext(), purpose=_PURPOSE, aad=cookie_name.encode(), secrets=secrets_
    )
    return base64.urlsafe_b64encode(_VERSION + sealed).rstrip(b"=").decode()


def decrypt(value: str, cookie_name: str, secrets_: Sequence[str]) -> LoginState | None:
    """The ``LoginState`` in a cookie value, or ``None`` if it is tampered, foreign or malformed."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(_VERSION):
        return None
    opened = unseal(raw[1:], purpose=_PURPOSE, aad=cookie_name.encode(), secrets=secrets_)
    return LoginState._from_plaintext(opened) if opened is not None else None


def cookie_bytes(cookie_name: str, value: str) -> int:
    """What one cookie adds to the browser's Cookie header."""
    return len(cookie_name) + 1 + len(value) + _SEPARATOR_BYTES


def slot_budget(total_budget: int) -> int:
    """The bytes one slot may use so that all slots together stay within ``total_budget``."""
    return total_budget // MAX_PENDING_LOGINS


def _pending(request: HttpRequest, secrets_: Sequence[str]) -> dict[str, LoginState]:
    """The unexpired login states this browser sent, by slot name."""
    pending = {}
    for name in SLOT_NAMES:
        value = request.COOKIES.get(name)
        login_state = decrypt(value, name, secrets_) if value else None
        if login_state is not None and not login_state.is_expired():
            pending[name] = login_state
    return pending


def _choose_slot(pending: dict[str, LoginState]) -> str:
    """A free slot (at random, so concurrent logins rarely collide), else the oldest one."""
    free = [name for name in SLOT_NAMES if name not in pending]
    if free:
        return secrets.choice(free)
    return min(pending, key=lambda name: pending[name].created_at_ms)


def set_cookie(
    request: HttpRequest,
    response: HttpResponse,
    login_state: LoginState,
    secrets_: Sequence[str],
    *,
    secure: bool,
    budget: int,
) -> LoginState:
    """Store ``login_state`` in a slot; returns what was stored.

    A return URL that would push the cookie past its share of ``budget`` is dropped (the
    login lands on the default return URL). The rest of a login state always fits: its
    other parts are bounded (custom state is at most ``MAX_CUSTOM_STATE_BYTES``).
    """
    name = _choose_slot(_pending(request, secrets_))
    value = encrypt(login_state, name, secrets_)
    if cookie_bytes(name, value) > slot_budget(budget) and login_state.return_url:
        logger.info("Dropping a return URL: the login state would not fit its cookie budget")
        login_state = replace(login_state, return_url=None)
        value = encrypt(login_state, name, secrets_)
    if cookie_bytes(name, value) > slot_budget(budget):
        raise ValueError("the login state does not fit in its cookie; shorten custom state")
    for stale in request.COOKIES:
        if stale.startswith(COOKIE_PREFIX) and stale not in SLOT_NAMES:
            response.delete_cookie(stale, path="/", samesite="Lax")  # an older release's
    response.set_cookie(
        name, value, max_age=MAX_AGE_SECONDS, path="/", secure=secure, httponly=True, samesite="Lax"
    )
    return login_state


def _find(
    request: HttpRequest, state: str, secrets_: Sequence[str]
) -> tuple[str, LoginState] | None:
    for name, login_state in _pending(request, secrets_).items():
        if hmac.compare_digest(login_state.state, state):
            return name, login_state
    return None


def read_cookie(request: HttpRequest, state: str, secrets_: Sequence[str]) -> LoginState | None:
    """The unexpired login state whose ``state`` is ``state``, from this browser's cookies."""
    found = _find(request, state, secrets_)
    return found[1] if found else None


def clear_cookie(
    request: HttpRequest, response: HttpResponse, state: str, secrets_: Sequence[str]
) -> None:
    """Expire the cookie of the login identified by ``state``."""
    found = _find(request, state, secrets_)
    if found is not None:
        response.delete_cookie(found[0], path="/", samesite="Lax")
