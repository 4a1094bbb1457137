"""Reading claims Wristband sends (userinfo, ID and access tokens) into typed values, for
the public types beside it and for token validation. Internal: import the types from
``wristband_django.types``.

Every reader is total: a claim of the wrong type reads as absent, never as an exception.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any


def optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def optional_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def timestamp(value: object) -> datetime | None:
    """Return a NumericDate claim (epoch seconds) as an aware UTC datetime, or ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def scope_names(value: object) -> tuple[str, ...]:
    """Return the scope names of a ``scope`` value: space-separated text (RFC 6749 3.3), or
    a list of names (a stored session's); anything else names none."""
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, (list, tuple)):
        return tuple(item for item in value if isinstance(item, str) and item)
    return ()


def read_only(value: object) -> Mapping[str, Any]:
    """Return a JSON object claim as a read-only mapping, empty when it is not an object."""
    return MappingProxyType(dict(value) if isinstance(value, dict) else {})


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


#: ``WristbandUser`` attribute → userinfo claim, for the text claims Wristband documents.
_USER_TEXT_CLAIMS = (
    ("email", "email"),
    ("full_name", "name"),
    ("given_name", "given_name"),
    ("family_name", "family_name"),
    ("middle_name", "middle_name"),
    ("nickname", "nickname"),
    ("preferred_username", "preferred_username"),
    ("picture_url", "picture"),
    ("gender", "gender"),
    ("birthdate", "birthdate"),
    ("zoneinfo", "zoneinfo"),
    ("locale", "locale"),
    ("phone_number", "phone_number"),
    ("application_id", "app_id"),
    ("idp_name", "idp_name"),
)


def user_text_claims(userinfo: Mapping[str, Any]) -> dict[str, str | None]:
    """Return ``WristbandUser``'s text fields read from ``userinfo`` (absent ones are None)."""
    return {attribute: optional_str(userinfo.get(claim)) for attribute, claim in _USER_TEXT_CLAIMS}


if TYPE_CHECKING:
    from wristband_django.types import WristbandRole


def roles(value: object) -> tuple[WristbandRole, ...]:
    """Return the roles in a ``roles`` claim; entries without a name are skipped.

    Userinfo lists ``{"id", "name", "display_name"}`` objects, and some access tokens list
    plain names: both are read. Any value other than a list has no roles.
    """
    from wristband_django.types import WristbandRole  # defined there, this module below it

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


def user_claims(userinfo: Mapping[str, Any]) -> dict[str, Any]:
    """Return the typed userinfo fields of ``WristbandUser``; absent ones are ``None``.

    Which fields are present depends on the scopes the user consented to.
    """
    return {
        **user_text_claims(userinfo),
        "email_verified": optional_bool(userinfo.get("email_verified")),
        "phone_number_verified": optional_bool(userinfo.get("phone_number_verified")),
        "updated_at": timestamp(userinfo.get("updated_at")),
        "roles": roles(userinfo.get("roles")),
        "custom_claims": read_only(userinfo.get("custom_claims")),
    }
