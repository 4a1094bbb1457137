"""Tokens encrypted at rest: AES-256-GCM under keys derived by HKDF from a secret.

The secrets are ``token_encryption_key`` (a string or a list, newest first), else Django's
``SECRET_KEY`` followed by ``SECRET_KEY_FALLBACKS``: the first encrypts, all decrypt, so
keys rotate the way Django's own signing keys do. Each value is bound to its field name
(associated data), so an access token cannot be replayed as a refresh token.
"""

from __future__ import annotations

import base64
import binascii
import os
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
_NONCE_BYTES = 12


class TokenDecryptionError(Exception):
    """A stored token cannot be opened with any current key (rotated away, or tampered)."""


@lru_cache(maxsize=16)
def _cipher(secret: str) -> AESGCM:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"wristband-django", info=b"token-at-rest v1"
    )
    return AESGCM(hkdf.derive(secret.encode()))


_KEY_SETTINGS = ("SECRET_KEY", "SECRET_KEY_FALLBACKS")
_cached_secrets: tuple[str, ...] | None = None


def _secrets() -> tuple[str, ...]:
    """The secrets, newest first; read from settings once (reset when they change)."""
    global _cached_secrets
    if _cached_secrets is None:
        configured = get_config().token_encryption_keys
        fallbacks = tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()))
        _cached_secrets = configured or (settings.SECRET_KEY, *fallbacks)
    return _cached_secrets


def _forget_secrets() -> None:
    global _cached_secrets
    _cached_secrets = None
    _open.cache_clear()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _KEY_SETTINGS:
        _forget_secrets()


register_cache_reset(_forget_secrets)
setting_changed.connect(_on_setting_changed, dispatch_uid="wristband_django.store.sealing")


def encrypt(field_name: str, value: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(_secrets()[0]).encrypt(nonce, value.encode(), field_name.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(field_name: str, stored: str) -> str:
    """The plaintext of ``stored``. A session's ciphertexts stay the same until its next
    refresh, so each is opened once per process, not on every request."""
    return _open(field_name, stored, _secrets())


@lru_cache(maxsize=4096)
def _open(field_name: str, stored: str, secrets: tuple[str, ...]) -> str:
    if not stored.startswith(PREFIX):
        raise TokenDecryptionError(f"{field_name} is not encrypted")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
    except (binascii.Error, ValueError) as exc:
        raise TokenDecryptionError(f"{field_name} is not valid base64") from exc
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for secret in secrets:
        try:
            return _cipher(secret).decrypt(nonce, sealed, field_name.encode()).decode()
        except InvalidTag:
            continue
    raise TokenDecryptionError(f"{field_name} cannot be opened with the current keys")
