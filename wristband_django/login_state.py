"""The login-state cookie: what the callback needs to finish a login, encrypted and authenticated.

One cookie per pending login, named ``login#<state>#<epoch ms>`` (at most three
at once, oldest evicted). The value is AES-256-GCM with a key derived by HKDF
from ``login_state_secret``; the cookie's ``state`` is bound as associated data,
so a value cannot be moved to another cookie name. Any list of secrets can
decrypt, the first one encrypts: that is how secrets rotate.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.http import HttpRequest, HttpResponse

COOKIE_PREFIX = "login#"
MAX_AGE_SECONDS = 3600
MAX_PENDING_LOGINS = 3
#: Browsers drop cookies whose name + value exceed 4096 bytes; keep a margin for attributes.
MAX_COOKIE_BYTES = 4000
_VERSION = b"\x01"
_NONCE_BYTES = 12


@dataclass(frozen=True)
class LoginState:
    """Everything the callback needs from the login that started it."""

    state: str
    code_verifier: str
    nonce: str
    redirect_uri: str
    created_at_ms: int
    return_url: str | None = None
    tenant_name: str | None = None
    tenant_custom_domain: str | None = None
    custom_state: Any = None

    @property
    def cookie_name(self) -> str:
        return f"{COOKIE_PREFIX}{self.state}#{self.created_at_ms}"

    def is_expired(self, now_ms: int | None = None) -> bool:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        return not 0 <= now_ms - self.created_at_ms <= MAX_AGE_SECONDS * 1000


@lru_cache(maxsize=16)
def _key(secret: str) -> AESGCM:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"wristband-django",
        info=b"login-state-cookie v1",
    )
    return AESGCM(hkdf.derive(secret.encode()))


def encrypt(login_state: LoginState, secrets: Sequence[str]) -> str:
    """The cookie value for ``login_state`` (URL-safe base64, no padding)."""
    plaintext = json.dumps(asdict(login_state), separators=(",", ":")).encode()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _key(secrets[0]).encrypt(nonce, plaintext, login_state.state.encode())
    return base64.urlsafe_b64encode(_VERSION + nonce + sealed).rstrip(b"=").decode()


def decrypt(value: str, state: str, secrets: Sequence[str]) -> LoginState | None:
    """The ``LoginState`` in a cookie value, or ``None`` if it is tampered, foreign or malformed."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(_VERSION) or len(raw) < 1 + _NONCE_BYTES + 16:
        return None
    nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    for secret in secrets:
        try:
            plaintext = _key(secret).decrypt(nonce, sealed, state.encode())
        except InvalidTag:
            continue
        try:
            login_state = LoginState(**json.loads(plaintext))
        except (ValueError, TypeError):
            return None
        return login_state if login_state.state == state else None
    return None


def _pending_cookie_names(request: HttpRequest) -> list[tuple[int, str]]:
    """(created ms, name) of every login-state cookie the browser sent, oldest first."""
    pending = []
    for name in request.COOKIES:
        parts = name.split("#")
        if len(parts) == 3 and parts[0] + "#" == COOKIE_PREFIX and parts[2].isdigit():
            pending.append((int(parts[2]), name))
    return sorted(pending)


def set_cookie(
    request: HttpRequest,
    response: HttpResponse,
    login_state: LoginState,
    secrets: Sequence[str],
    *,
    secure: bool,
) -> None:
    """Store ``login_state`` and evict the oldest pending logins beyond the limit."""
    value = encrypt(login_state, secrets)
    if len(login_state.cookie_name) + len(value) > MAX_COOKIE_BYTES:
        raise ValueError("the login state does not fit in a cookie; shorten custom state")
    pending = _pending_cookie_names(request)
    for _created, name in pending[: max(0, len(pending) - MAX_PENDING_LOGINS + 1)]:
        response.delete_cookie(name, path="/", samesite="Lax")
    response.set_cookie(
        login_state.cookie_name,
        value,
        max_age=MAX_AGE_SECONDS,
        path="/",
        secure=secure,
        httponly=True,
        samesite="Lax",
    )


def read_cookie(request: HttpRequest, state: str, secrets: Sequence[str]) -> LoginState | None:
    """The unexpired login state for ``state`` from this browser's cookies, if any."""
    for _created, name in reversed(_pending_cookie_names(request)):
        if name.split("#")[1] == state:
            login_state = decrypt(request.COOKIES[name], state, secrets)
            if login_state is not None and not login_state.is_expired():
                return login_state
    return None


def clear_cookie(request: HttpRequest, response: HttpResponse, state: str) -> None:
    """Expire every cookie of the login identified by ``state``."""
    for _created, name in _pending_cookie_names(request):
        if name.split("#")[1] == state:
            response.delete_cookie(name, path="/", samesite="Lax")
