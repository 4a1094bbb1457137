"""The one namespaced entry this app keeps in ``request.session``, sealed.

The entry is stored as one value: its fields as compact JSON, compressed, then sealed
(AES-GCM, ``store.sealing``) as a whole, so no field can be read, changed or moved to
another. The cache session engine keeps Python objects, so it stores the sealed bytes;
every other engine serialises sessions as JSON, so they store text (base85). The ID token
is not kept: it is validated at the callback and at each refresh, and what the app needs of
it (``sub``, ``tnt_id``, ``auth_time``) is kept as fields.

Entries written before this format (a dict with each token sealed on its own, and the ID
token) are still read, and written in this format the next time the session is saved.
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import fields
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from wristband_django.store import sealing
from wristband_django.store.engines import CACHE_ENGINE
from wristband_django.types import WristbandSession
from wristband_django.types import now_ms as now_ms  # the store's callers read the time here

logger = logging.getLogger(__name__)

SESSION_KEY = "_wristband"
#: The fields of entries written before the whole-entry format, which sealed each token.
_V1_TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")


_REQUIRED_STRINGS = ("access_token", "user_id", "tenant_id")
_FIELD_ORDER = tuple(f.name for f in fields(WristbandSession))
_FIELD_NAMES = frozenset(_FIELD_ORDER)


def seal_tokens(values: dict[str, Any]) -> dict[str, Any]:
    """Return ``values`` with every token field present encrypted."""
    return {
        name: sealing.encrypt(name, value) if name in _V1_TOKEN_FIELDS and value else value
        for name, value in values.items()
    }


def open_tokens(values: dict[str, Any]) -> dict[str, Any]:
    """Return ``values`` with every token field decrypted.

    Raise ``TokenDecryptionError`` if one cannot be."""
    opened = dict(values)
    for name in _V1_TOKEN_FIELDS:
        value = values.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise sealing.TokenDecryptionError(f"{name} is not a string")
            opened[name] = sealing.decrypt(name, value)
    return opened


def _from_stored(raw: object) -> WristbandSession | None:
    """Rebuild the entry; anything malformed, tampered or sealed with a retired key reads as
    no session (the user logs in again)."""
    if isinstance(raw, (bytes, str)):
        return _opened(raw, sealing.current_secrets())
    if isinstance(raw, dict):
        return _from_v1(raw)
    return None


@lru_cache(maxsize=1024)
def _opened(raw: bytes | str, secrets: tuple[str, ...]) -> WristbandSession | None:
    """Open a sealed entry, once per process and value; return ``None`` if it cannot be opened.

    The value changes only when the session is written, so the valid-token path decrypts
    nothing. Entries are immutable."""
    try:
        sealed = sealing.entry_from_text(raw) if isinstance(raw, str) else raw
        values = json.loads(zlib.decompress(sealing.open_entry(sealed)))
    except sealing.TokenDecryptionError as exc:
        logger.info("Ignoring a stored Wristband session: %s", exc)
        return None
    except (zlib.error, ValueError):
        return None
    return _entry_from(values) if isinstance(values, dict) else None


def _from_v1(raw: dict[str, Any]) -> WristbandSession | None:
    """Read an entry written before the whole-entry format (each token sealed on its own)."""
    if not (_FIELD_NAMES | {"id_token"}).issuperset(raw):
        return None
    try:
        values = open_tokens(raw)
    except sealing.TokenDecryptionError as exc:
        logger.info("Ignoring a stored Wristband session: %s", exc)
        return None
    values.pop("id_token", None)
    return _entry_from(values)


def _entry_from(values: dict[str, Any]) -> WristbandSession | None:
    if not _FIELD_NAMES.issuperset(values):
        return None
    if not all(isinstance(values.get(name), str) and values[name] for name in _REQUIRED_STRINGS):
        return None
    if isinstance(values.get("expires_at"), bool) or not isinstance(values.get("expires_at"), int):
        return None
    if not isinstance(values.get("userinfo", {}), dict):
        return None
    try:
        return WristbandSession(**values)
    except TypeError:
        return None


def encode(entry: WristbandSession) -> bytes | str:
    """Return ``entry`` as stored: compact JSON, compressed and sealed.

    The result is text unless the store keeps bytes (see the module)."""
    values = {name: getattr(entry, name) for name in _FIELD_ORDER}  # asdict's, without
    values["userinfo"] = dict(entry.userinfo)  # its deep copies: JSON only reads the values
    plain = json.dumps(values, separators=(",", ":")).encode()
    sealed = sealing.seal_entry(zlib.compress(plain))
    # The cache engine's store keeps Python objects: there a sealed entry is stored as bytes.
    return sealed if settings.SESSION_ENGINE == CACHE_ENGINE else sealing.entry_to_text(sealed)


def load(session: SessionBase) -> WristbandSession | None:
    """Return the Wristband entry of ``session``, if there is a valid one."""
    return _from_stored(session.get(SESSION_KEY))


def store(session: SessionBase, entry: WristbandSession) -> None:
    session[SESSION_KEY] = encode(entry)
