"""Reading claims Wristband sends (userinfo, ID and access tokens) into typed values.

Every reader is total: a claim of the wrong type reads as absent, never as an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class WristbandRole:
    """One of a user's roles, as Wristband's ``roles`` scope gives it."""

    id: str | None
    name: str
    display_name: str | None = None

    def __str__(self) -> str:
        return self.name


def roles(value: object) -> tuple[WristbandRole, ...]:
    """The roles in a ``roles`` claim: ``{"id", "name", "display_name"}`` objects (userinfo)
    or plain names (some access tokens); entries without a name are skipped."""
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if isinstance(item, str) and item:
            found.append(WristbandRole(id=None, name=item))
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
            found.append(
                WristbandRole(
                    id=optional_str(item.get("id")),
                    name=item["name"],
                    display_name=optional_str(item.get("display_name")),
                )
            )
    return tuple(found)


def role_names(value: object) -> tuple[str, ...]:
    """The role names in a ``roles`` claim (see ``roles``)."""
    return tuple(role.name for role in roles(value))


def optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def optional_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def timestamp(value: object) -> datetime | None:
    """A NumericDate claim (seconds since the epoch) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def read_only(value: object) -> Mapping[str, Any]:
    """A JSON object claim as a read-only mapping (empty when it is not an object)."""
    return MappingProxyType(dict(value) if isinstance(value, dict) else {})
