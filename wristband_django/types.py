"""The types a project uses with this app.

- ``WristbandSession``: a logged-in user's tokens and identity (``request.wristband``).
- ``WristbandRequest``: an ``HttpRequest`` with ``wristband: WristbandSession | None``, to
  annotate views so that type checkers know ``request.wristband``.
- ``WristbandUser``: who is calling, for code that expects a ``request.user``-like object;
  built from a ``WristbandSession`` (session login) or from access-token claims (bearer). It
  carries identity only, never a token.
- ``role_names(roles)``: the role names in a userinfo or token ``roles`` claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from wristband_django.store.session_entry import WristbandSession

__all__ = ["WristbandRequest", "WristbandSession", "WristbandUser", "role_names"]


class WristbandRequest(HttpRequest):
    """For annotations only: ``def view(request: WristbandRequest) -> HttpResponse``.

    ``wristband`` is set by ``WristbandAuthMiddleware``, ``@wristband_required``,
    ``WristbandRequiredMixin`` and the DRF classes: the session with a fresh access token,
    or ``None``. Behind ``@wristband_required`` or the mixin it is never ``None``.
    """

    wristband: WristbandSession | None


def role_names(roles: object) -> tuple[str, ...]:
    """The role names in a ``roles`` claim: a list of ``{"name": ...}`` objects (Wristband's
    userinfo) or of strings; anything else, and entries without a name, give nothing."""
    if not isinstance(roles, list):
        return ()
    names = (role.get("name") if isinstance(role, dict) else role for role in roles)
    return tuple(name for name in names if isinstance(name, str) and name)


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class WristbandUser:
    """An authenticated Wristband user (or machine client); ``pk`` and ``id`` are the user id."""

    user_id: str
    tenant_id: str
    tenant_name: str | None = None
    email: str | None = None
    name: str | None = None
    roles: tuple[str, ...] = ()

    is_active = True
    is_staff = False
    is_superuser = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def pk(self) -> str:
        return self.user_id

    @property
    def id(self) -> str:
        return self.user_id

    def get_username(self) -> str:
        return self.email or self.user_id

    def __str__(self) -> str:
        return self.get_username()

    @classmethod
    def from_session(cls, entry: WristbandSession) -> WristbandUser:
        return cls(
            user_id=entry.user_id,
            tenant_id=entry.tenant_id,
            tenant_name=entry.tenant_name,
            email=_optional_str(entry.userinfo.get("email")),
            name=_optional_str(entry.userinfo.get("name")),
            roles=role_names(entry.userinfo.get("roles")),
        )

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> WristbandUser:
        """From validated access-token claims (``sub``, ``tnt_id``; Wristband puts no email in
        access tokens, so ``email``, ``name`` and ``roles`` are usually empty)."""
        return cls(
            user_id=str(claims["sub"]),
            tenant_id=str(claims.get("tnt_id") or ""),
            email=_optional_str(claims.get("email")),
            name=_optional_str(claims.get("name")),
            roles=role_names(claims.get("roles")),
        )
