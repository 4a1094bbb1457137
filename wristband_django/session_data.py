"""The one namespaced entry this app keeps in ``request.session``."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

SESSION_KEY = "_wristband"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class WristbandSession:
    """A logged-in user's tokens and identity, as stored server-side."""

    access_token: str = field(repr=False)
    expires_at: int  # epoch ms, token_expiration_buffer already subtracted
    user_id: str
    tenant_id: str
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    tenant_name: str | None = None
    tenant_custom_domain: str | None = None
    idp_name: str | None = None
    userinfo: dict[str, Any] = field(default_factory=dict)
    created_at: int = field(default_factory=now_ms)
    refreshed_at: int | None = None

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


def _from_stored(raw: object) -> WristbandSession | None:
    """Rebuild the entry; anything malformed (old format, tampering) reads as no session."""
    if not isinstance(raw, dict) or not _FIELD_NAMES.issuperset(raw):
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
    session[SESSION_KEY] = asdict(entry)


def has_entry(session: SessionBase) -> bool:
    return SESSION_KEY in session
