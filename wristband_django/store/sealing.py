"""Sealing: AES-256-GCM under keys derived by HKDF from a list of secrets (the first seals,
all open, so secrets rotate). One core, ``seal`` / ``unseal``, for every encrypted value:
the tokens at rest here, and the login-state cookie (``flows.login_state``).

Tokens at rest: the secrets are ``token_encryption_key`` (a string or a list, newest
first), else Django's ``SECRET_KEY`` followed by ``SECRET_KEY_FALLBACKS``, so keys rotate
the way Django's own signing keys do. Each value is bound to its field name (associated
data), so an access token cannot be replayed as a refresh token.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed

from wristband_django.conf import get_config, register_cache_reset

PREFIX = "wbenc1:"
#: A whole session entry sealed at once (``session_entry``): the stored text's prefix.
ENTRY_PREFIX = "wbs2:"
NONCE_BYTES = 12
TAG_BYTES = 16
_TOKENS = b"token-at-rest v1"
_ENTRIES = b"session-entry-at-rest v2"


class TokenDecryptionError(Exception):
    """A stored token cannot be opened with any current key (rotated away, or tampered)."""


@lru_cache(maxsize=32)
def _cipher(secret: str, purpose: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"wristband-django", info=purpose)
    return AESGCM(hkdf.derive(secret.encode()))


def seal(plaintext: bytes, *, purpose: bytes, aad: bytes, secrets: Sequence[str]) -> bytes:
    """Seal ``plaintext`` and return the nonce and ciphertext, bound to ``aad``.

    The key is the first secret's for ``purpose`` (keys of different purposes never open
    each other's values)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + _cipher(secrets[0], purpose).encrypt(nonce, plaintext, aad)


def unseal(raw: bytes, *, purpose: bytes, aad: bytes, secrets: Sequence[str]) -> bytes | None:
    """Return the plaintext ``seal`` sealed, if any of ``secrets`` opens it with this ``aad``."""
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    if len(nonce) < NONCE_BYTES or len(sealed) < TAG_BYTES:
        return None
    for secret in secrets:
        try:
            return _cipher(secret, purpose).decrypt(nonce, sealed, aad)
        except InvalidTag:
            continue
    return None


_KEY_SETTINGS = ("SECRET_KEY", "SECRET_KEY_FALLBACKS")
_cached_secrets: tuple[str, ...] | None = None


def _secrets() -> tuple[str, ...]:
    """Return the secrets, newest first, read from settings once (reset when they change)."""
    global _cached_secrets
    if _cached_secrets is None:
        configured = get_config().token_encryption_keys
        fallbacks = tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()))
        _cached_secrets = configured or (settings.SECRET_KEY, *fallbacks)
    return _cached_secrets


def current_secrets() -> tuple[str, ...]:
    """Return the secrets in use, newest first (a cache key for values opened with them)."""
    return _secrets()


def _forget_secrets() -> None:
    global _cached_secrets
    _cached_secrets = None


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _KEY_SETTINGS:
        _forget_secrets()


register_cache_reset(_forget_secrets)
setting_changed.connect(_on_setting_changed, dispatch_uid="wristband_django.store.sealing")


def encrypt(field_name: str, value: str) -> str:
    sealed = seal(value.encode(), purpose=_TOKENS, aad=field_name.encode(), secrets=_secrets())
    return PREFIX + base64.urlsafe_b64encode(sealed).decode()


def decrypt(field_name: str, stored: str) -> str:
    """Return the plaintext of ``stored``.

    Nothing opened is kept: a session entry is opened once per process and version
    (``session_entry``), and the other sealed values (machine-token records, the admin's
    session keys) are few and opened in microseconds."""
    return _open(field_name, stored, _secrets())


def _open(field_name: str, stored: str, secrets: tuple[str, ...]) -> str:
    if not stored.startswith(PREFIX):
        raise TokenDecryptionError(f"{field_name} is not encrypted")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
    except (binascii.Error, ValueError) as exc:
        raise TokenDecryptionError(f"{field_name} is not valid base64") from exc
    opened = unseal(raw, purpose=_TOKENS, aad=field_name.encode(), secrets=secrets)
    if opened is None:
        raise TokenDecryptionError(f"{field_name} cannot be opened with the current keys")
    return opened.decode()


def seal_entry(plaintext: bytes) -> bytes:
    """Seal a whole session entry (newest secret), for a store that keeps bytes."""
    return seal(plaintext, purpose=_ENTRIES, aad=_ENTRIES, secrets=_secrets())


def open_entry(raw: bytes) -> bytes:
    """Return the plaintext ``seal_entry`` sealed.

    Raise ``TokenDecryptionError`` if no secret opens it."""
    opened = unseal(raw, purpose=_ENTRIES, aad=_ENTRIES, secrets=_secrets())
    if opened is None:
        raise TokenDecryptionError("the session entry cannot be opened with the current keys")
    return opened


def entry_to_text(sealed: bytes) -> str:
    """Return a sealed entry as text, for stores that keep sessions as JSON (db, cached_db)."""
    return ENTRY_PREFIX + base64.b85encode(sealed).decode()


def entry_from_text(text: str) -> bytes:
    if not text.startswith(ENTRY_PREFIX):
        raise TokenDecryptionError("the session entry is not sealed")
    try:
        return base64.b85decode(text[len(ENTRY_PREFIX) :])
    except ValueError as exc:
        raise TokenDecryptionError("the session entry is not valid base85") from exc
