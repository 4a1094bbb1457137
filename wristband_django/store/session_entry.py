"""The one namespaced entry this app keeps in ``request.session``; tokens encrypted."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from wristband_django.store import sealing

logger = logging.getLogger(__name__)

SESSION_KEY = "_wristband"
TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")


def now_ms() -> int:
    return int(time.time() * 1000)


class Claims(Mapping[str, Any]):
    """Read-only claims (``WristbandSession.userinfo``): a ``Mapping``, not a ``dict``.

    ``dict(claims)`` is a plain copy; so is a deep copy, so ``dataclasses.asdict(entry)``
    gives ``userinfo`` as a plain dict (JSON-ready).
    """

    __slots__ = ("_claims",)

    def __init__(self, claims: Mapping[str, Any] | None = None) -> None:
        self._claims: Mapping[str, Any] = MappingProxyType(dict(claims or {}))

    def __getitem__(self, name: str) -> Any:
        return self._claims[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._claims)

    def __len__(self) -> int:
        return len(self._claims)

    def __repr__(self) -> str:
        return repr(dict(self._claims))

    def __reduce__(self) -> tuple[type[Claims], tuple[dict[str, Any]]]:
        return (Claims, (dict(self._claims),))

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return copy.deepcopy(dict(self._claims), memo)


@dataclass(frozen=True)
class WristbandSession:
    """A logged-in user's tokens and identity, as stored server-side.

    Immutable: ``userinfo`` is a read-only ``Mapping`` (``dict(entry.userinfo)`` for a copy).
    """

    access_token: str = field(repr=False)
    expires_at: int  # epoch ms, token_expiration_buffer already subtracted
    user_id: str
    tenant_id: str
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    tenant_name: str | None = None
    tenant_custom_domain: str | None = None
    idp_name: str | None = None
    userinfo: Mapping[str, Any] = field(default_factory=Claims)
    created_at: int = field(default_factory=now_ms)
    refreshed_at: int | None = None
    #: When the user last entered credentials at Wristband: the ID token's ``auth_time``
    #: (epoch **seconds**, as in the token); ``None`` if unknown (counts as too old for
    #: ``max_age``).
    auth_time: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.userinfo, Claims):
            object.__setattr__(self, "userinfo", Claims(self.userinfo))

    def __deepcopy__(self, memo: dict[int, Any]) -> WristbandSession:
        return replace(self, userinfo=copy.deepcopy(self.userinfo, memo))

    def is_expired(self, at_ms: int | None = None) -> bool:
        return (now_ms() if at_ms is None else at_ms) >= self.expires_at

    def claim(self, name: str) -> Any:
        """A userinfo claim, or one of the stored tenant/IdP fields by its claim-style name."""
        if name in self.userinfo:
            return self.userinfo[name]
        return {
            "tenant_name": self.tenant_name,
            "tenant_custom_domain": self.tenant_custom_domain,
            "idp_name": self.idp_name,
        }.get(name)


_REQUIRED_STRINGS = ("access_token", "user_id", "tenant_id")
_FIELD_NAMES = frozenset(f.name for f in fields(WristbandSession))


def seal_tokens(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every token field present encrypted."""
    return {
        name: sealing.encrypt(name, value) if name in TOKEN_FIELDS and value else value
        for name, value in values.items()
    }


def open_tokens(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every token field decrypted; ``TokenDecryptionError`` if one cannot be."""
    opened = dict(values)
    for name in TOKEN_FIELDS:
        value = values.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise sealing.TokenDecryptionError(f"{name} is not a string")
            opened[name] = sealing.decrypt(name, value)
    return opened


def _from_stored(raw: object) -> WristbandSession | None:
    """Rebuild the entry; anything malformed, tampered or sealed with a retired key reads as
    no session (the user logs in again)."""
    if not isinstance(raw, dict) or not _FIELD_NAMES.issuperset(raw):
        return None
    try:
        raw = open_tokens(raw)
    except sealing.TokenDecryptionError as exc:
        logger.info("Ignoring a stored Wristband session: %s", exc)
        return None
    if not all(isinstance(raw.get(name), str) and raw[name] for name in _REQUIRED_STRINGS):
        return None
    if isinstance(raw.get("expires_at"), bool) or not isinstance(raw.get("expires_at"), int):
        return None
    if not isinstance(raw.get("userinfo", {}), dict):
        return None
    try:
        return WristbandSession(**raw)
    except TypeError:
        return None


def load(session: SessionBase) -> WristbandSession | None:
    """The Wristband entry of ``session``, if there is a valid one."""
    return _from_stored(session.get(SESSION_KEY))


def store(session: SessionBase, entry: WristbandSession) -> None:
    session[SESSION_KEY] = seal_tokens(asdict(entry))  # userinfo as a plain dict
