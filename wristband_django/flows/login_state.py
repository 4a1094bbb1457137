"""The login-state cookies: what the callback needs to finish a login, encrypted and authenticated.

Each pending login has a cookie of its own, named after its ``state`` (``login#`` and 16
characters of a hash of it), so logins started at the same moment in several tabs never
write the same cookie. A browser keeps at most three: whenever a login starts or finishes,
the oldest beyond three (and any that cannot be opened, or has expired) are removed, and each
cookie stays within a third of ``login_cookie_budget`` bytes of the Cookie header. Each value
is sealed (``store.sealing``: AES-256-GCM, HKDF keys) with ``login_state_secret`` (the first
secret seals, all open: that is how secrets rotate), bound to its cookie's name. The
``state``, PKCE verifier and nonce derive from one random seed, so the cookie carries 32
random bytes, not three values. The login state binds the tenant the authorize request was
sent to, remembers the ``prompt`` and ``max_age`` it asked Wristband for (the callback
answers a ``prompt=none`` login's ``login_required`` and checks ``auth_time`` against
``max_age``), and counts the times the login was restarted (``flows.login_restarts``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeGuard

from django.http import HttpRequest, HttpResponse

from wristband_django.store.sealing import seal, unseal

logger = logging.getLogger(__name__)

COOKIE_PREFIX = "login#"
MAX_AGE_SECONDS = 3600
#: Creation times are strictly increasing per process (so a little ahead of the clock), and
#: several app servers' clocks differ a little.
MAX_CLOCK_SKEW_SECONDS = 60
MAX_PENDING_LOGINS = 3
#: Characters of the state's hash in a cookie's name (96 bits: two logins never share one).
_NAME_HASH_CHARS = 16
#: The most restarts a login state may say it has had (``flows.login_restarts`` stops
#: far below); a larger number is a malformed login state.
MAX_RESTART_COUNT = 99
#: Between the seed's part of a ``state`` and the restart count it may end with.
_RESTARTS_SEPARATOR = "."
#: "; " between two cookies in the Cookie header.
_SEPARATOR_BYTES = 2
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

    @classmethod
    def new(cls, **fields: Any) -> LoginState:
        seed = base64.urlsafe_b64encode(os.urandom(_SEED_BYTES)).rstrip(b"=").decode("ascii")
        return cls(seed=seed, **fields)

    @property
    def state(self) -> str:
        """Return the OAuth ``state``, which is public (it travels in URLs) and reveals nothing.

        A restarted login's state ends with its restart count (``.1``, ``.2``)."""
        core = _derive(self.seed, b"state")
        return f"{core}{_RESTARTS_SEPARATOR}{self.restarts}" if self.restarts else core

    @property
    def cookie_name(self) -> str:
        """Return the name of the cookie holding this login state."""
        return cookie_name(self.state)

    @property
    def code_verifier(self) -> str:
        return _derive(self.seed, b"pkce-verifier")

    @property
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


def cookie_bytes(cookie_name: str, value: str) -> int:
    """Return the bytes one cookie adds to the browser's Cookie header."""
    return len(cookie_name) + 1 + len(value) + _SEPARATOR_BYTES


def slot_budget(total_budget: int) -> int:
    """Return the bytes one login's cookie may use so that three fit in ``total_budget``."""
    return total_budget // MAX_PENDING_LOGINS


def _open(request: HttpRequest, name: str, secrets_: Sequence[str]) -> LoginState | None:
    """Return the unexpired login state in the cookie ``name``, if it is ours under that name."""
    value = request.COOKIES.get(name)
    login_state = decrypt(value, name, secrets_) if value else None
    if login_state is None or login_state.is_expired() or login_state.cookie_name != name:
        return None
    return login_state


def _sent(request: HttpRequest, secrets_: Sequence[str]) -> dict[str, LoginState | None]:
    """Return each login-state cookie the browser sent, by name, with its login state.

    The login state is ``None`` for a cookie that is tampered, expired, foreign or an older
    release's."""
    return {
        name: _open(request, name, secrets_)
        for name in request.COOKIES
        if name.startswith(COOKIE_PREFIX)
    }


def newest_restarts(request: HttpRequest, secrets_: Sequence[str]) -> int:
    """Return the restart count of the browser's newest pending login (0 if there is none)."""
    pending = [s for s in _sent(request, secrets_).values() if s is not None]
    return max(pending, key=lambda s: s.created_at_ms).restarts if pending else 0


def _prune(
    request: HttpRequest, response: HttpResponse, secrets_: Sequence[str], *, keep: int, skip: str
) -> None:
    """Expire the login-state cookies beyond the newest ``keep`` the browser sent (and every
    one that is not an unexpired login state of ours), leaving ``skip`` to the caller."""
    pending: list[tuple[int, str]] = []
    for name, login_state in _sent(request, secrets_).items():
        if name == skip:
            continue
        if login_state is None:
            response.delete_cookie(name, path="/", samesite="Lax")
        else:
            pending.append((login_state.created_at_ms, name))
    for _, name in sorted(pending, reverse=True)[keep:]:
        response.delete_cookie(name, path="/", samesite="Lax")


def set_cookie(
    request: HttpRequest,
    response: HttpResponse,
    login_state: LoginState,
    secrets_: Sequence[str],
    *,
    secure: bool,
    budget: int,
) -> LoginState:
    """Store ``login_state`` in a cookie of its own, and remove the oldest beyond three;
    returns what was stored.

    A return URL that would push the cookie past its share of ``budget`` is dropped (the
    login lands on the default return URL). The rest of a login state always fits: its
    other parts are bounded (custom state is at most ``MAX_CUSTOM_STATE_BYTES``).
    """
    name = login_state.cookie_name
    value = encrypt(login_state, name, secrets_)
    if cookie_bytes(name, value) > slot_budget(budget) and login_state.return_url:
        logger.info("Dropping a return URL: the login state would not fit its cookie budget")
        login_state = replace(login_state, return_url=None)
        value = encrypt(login_state, name, secrets_)
    if cookie_bytes(name, value) > slot_budget(budget):
        raise ValueError("the login state does not fit in its cookie; shorten custom state")
    _prune(request, response, secrets_, keep=MAX_PENDING_LOGINS - 1, skip=name)
    response.set_cookie(
        name, value, max_age=MAX_AGE_SECONDS, path="/", secure=secure, httponly=True, samesite="Lax"
    )
    return login_state


def read_cookie(request: HttpRequest, state: str, secrets_: Sequence[str]) -> LoginState | None:
    """Return the unexpired login state whose ``state`` is ``state``, from browser cookies."""
    login_state = _open(request, cookie_name(state), secrets_)
    if login_state is None or not hmac.compare_digest(login_state.state, state):
        return None
    return login_state


def clear_cookie(
    request: HttpRequest, response: HttpResponse, state: str, secrets_: Sequence[str]
) -> None:
    """Expire the cookie of the login identified by ``state``, and the oldest beyond three."""
    name = cookie_name(state)
    if name in request.COOKIES:
        response.delete_cookie(name, path="/", samesite="Lax")
    _prune(request, response, secrets_, keep=MAX_PENDING_LOGINS, skip=name)
