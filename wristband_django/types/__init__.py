"""The types a project uses with this app, each defined here.

- ``WristbandSession``: a logged-in user's tokens and identity (``request.wristband``).
- ``WristbandRequest``: an ``HttpRequest`` with ``wristband: WristbandSession | None``, to
  annotate views so that type checkers know ``request.wristband``.
- ``WristbandUser``: who is calling, for code that expects a ``request.user``-like object;
  built from a ``WristbandSession`` (session login) or from access-token claims (bearer),
  with the typed userinfo and ``roles``. It carries identity only, never a token.
- ``AccessTokenClaims``: a validated bearer token's typed claims (``request.wristband_token``).
- ``WristbandRole``: one role (``id``, ``name``, ``display_name``).
- ``role_names(roles)``: the role names in a userinfo or token ``roles`` claim.

Each is defined here, below every layer: this package imports nothing else of
``wristband_django`` (its ``claims`` module, internal, reads claim values for these types
and for token validation), so every layer may use it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.http import HttpRequest

from wristband_django.types import claims as claim_values
from wristband_django.types.claims import Claims, read_only

__all__ = [
    "AccessTokenClaims",
    "WristbandRequest",
    "WristbandRole",
    "WristbandSession",
    "WristbandUser",
    "role_names",
]


def now_ms() -> int:
    """Return the time now in epoch milliseconds, the unit of ``WristbandSession``'s times."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class WristbandRole:
    """One of a user's roles, as Wristband's ``roles`` scope gives it."""

    id: str | None
    name: str
    display_name: str | None = None

    def __str__(self) -> str:
        return self.name


def role_names(value: object) -> tuple[str, ...]:
    """Return the role names in a userinfo or access-token ``roles`` claim: it may list
    ``{"id", "name", "display_name"}`` objects or plain names; nameless entries are skipped,
    and any value other than a list gives ``()``."""
    return tuple(role.name for role in claim_values.roles(value))


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
    #: The scopes Wristband granted at login (those asked for, if it named none), updated by
    #: refreshes that name them; ``None`` (stored by an older version): none, until a refresh.
    scopes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.userinfo, Claims):
            object.__setattr__(self, "userinfo", Claims(self.userinfo))
        if self.scopes is not None:  # read back from JSON, a list
            object.__setattr__(self, "scopes", claim_values.scope_names(self.scopes))

    def __deepcopy__(self, memo: dict[int, Any]) -> WristbandSession:
        return replace(self, userinfo=copy.deepcopy(self.userinfo, memo))

    def is_expired(self, at_ms: int | None = None) -> bool:
        """Return whether the access token counts as expired at ``at_ms`` (epoch ms) or now.

        ``expires_at`` has ``token_expiration_buffer`` subtracted already, so the token counts
        as expired that long before Wristband would refuse it.
        """
        return (now_ms() if at_ms is None else at_ms) >= self.expires_at

    def claim(self, name: str) -> Any:
        """Return a userinfo claim, or a stored tenant or IdP field by its claim-style name.

        ``tenant_name``, ``tenant_custom_domain`` and ``idp_name`` come from this session's
        fields when userinfo lacks them; any other name that userinfo lacks gives ``None``.
        """
        if name in self.userinfo:
            return self.userinfo[name]
        return {
            "tenant_name": self.tenant_name,
            "tenant_custom_domain": self.tenant_custom_domain,
            "idp_name": self.idp_name,
        }.get(name)


@dataclass(frozen=True)
class AccessTokenClaims:
    """A validated access token's claims, typed. It never holds the token itself.

    ``user_id`` is the subject (``sub``): a user's id, or for a machine-to-machine token
    (``client_credentials``) the calling client's id, when ``is_machine`` is true.
    ``claims`` has every claim, read-only.
    """

    user_id: str
    client_id: str
    tenant_id: str | None
    application_id: str | None
    roles: tuple[WristbandRole, ...]
    scopes: tuple[str, ...]
    expires_at: datetime
    issued_at: datetime | None
    custom_claims: Mapping[str, Any]
    claims: Mapping[str, Any] = field(repr=False)

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(role.name for role in self.roles)

    @property
    def is_machine(self) -> bool:
        """Return whether this is a machine-to-machine token, whose subject is the client."""
        return self.user_id == self.client_id


class WristbandRequest(HttpRequest):
    """For annotations only: ``def view(request: WristbandRequest) -> HttpResponse``.

    ``wristband`` is set by ``WristbandAuthMiddleware``, ``@wristband_required``,
    ``WristbandRequiredMixin`` and the DRF classes: the session with a fresh access token,
    or ``None``. ``wristband_token`` is set where bearer tokens are accepted, and
    ``wristband_user`` where a request is authenticated either way. Behind
    ``@wristband_required`` or the mixin, ``wristband_user`` is never ``None``, and
    ``wristband`` is not ``None`` unless the request authenticated with a bearer token.
    """

    wristband: WristbandSession | None
    #: The validated bearer token's claims when the request authenticated with one.
    wristband_token: AccessTokenClaims | None
    #: Who is calling (either way), set where a request is authenticated.
    wristband_user: WristbandUser | None


#: Where ``WristbandUser`` keeps the user it built for a session entry or a token's claims.
_SESSION_USER = "_wristband_user"


@dataclass(frozen=True)
class WristbandUser:
    """An authenticated Wristband user (or machine client); ``pk`` and ``id`` are the user id.

    From a session, the typed userinfo claims (which ones are present depends on the
    ``scopes`` setting: ``email``, ``profile``, ``phone``, ``roles``); from a bearer token,
    what the token carries (usually ids and roles only). It never holds a token.
    """

    user_id: str
    tenant_id: str
    tenant_name: str | None = None
    email: str | None = None
    email_verified: bool | None = None
    full_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    middle_name: str | None = None
    nickname: str | None = None
    preferred_username: str | None = None
    picture_url: str | None = None
    gender: str | None = None
    birthdate: str | None = None
    zoneinfo: str | None = None
    locale: str | None = None
    phone_number: str | None = None
    phone_number_verified: bool | None = None
    updated_at: datetime | None = None
    application_id: str | None = None
    idp_name: str | None = None
    roles: tuple[WristbandRole, ...] = ()
    custom_claims: Mapping[str, Any] = field(default_factory=lambda: read_only({}))
    #: ``"session"`` or ``"bearer"``: how the request authenticated.
    authenticated_by: str = "session"
    #: A machine-to-machine caller (``client_credentials`` token), not a person.
    is_machine: bool = False

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

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(role.name for role in self.roles)

    def has_any_role(self, names: Iterable[str]) -> bool:
        """Return whether the user has at least one of the roles ``names`` (exact names)."""
        wanted = set(names)
        return any(role.name in wanted for role in self.roles)

    def has_perm(self, perm: str, obj: object = None) -> bool:
        """Return ``False``: Django permissions belong to Django users, as for
        ``AnonymousUser`` (DRF's ``DjangoModelPermissions`` asks every caller)."""
        return False

    def has_perms(self, perm_list: Iterable[str], obj: object = None) -> bool:
        """Return whether the user has every permission in ``perm_list``: only when it is
        empty, as Django's users answer (no Django permissions; see ``has_perm``)."""
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        """Return ``False`` (no Django permissions; see ``has_perm``)."""
        return False

    def get_username(self) -> str:
        """Return the user's email, or the user id when there is none (machine clients)."""
        return self.email or self.user_id

    def __str__(self) -> str:
        return self.get_username()

    @classmethod
    def from_session(cls, entry: WristbandSession) -> WristbandUser:
        """Return the user of a Wristband session, built once per session entry.

        Entries are immutable, and the store hands out one object per stored version, so a
        request whose access token is still valid builds nothing.
        """
        cached = entry.__dict__.get(_SESSION_USER)
        if isinstance(cached, cls):
            return cached
        claims = claim_values.user_claims(entry.userinfo)
        claims["idp_name"] = entry.idp_name or claims["idp_name"]
        user = cls(
            user_id=entry.user_id,
            tenant_id=entry.tenant_id,
            tenant_name=entry.tenant_name,
            **claims,
        )
        entry.__dict__[_SESSION_USER] = user  # beside the fields: not in eq, asdict or repr
        return user

    @classmethod
    def from_access_token(cls, token: AccessTokenClaims) -> WristbandUser:
        """Return the user (or machine client) of a validated bearer token, built once per
        claims object (a remembered token's are reused). Wristband puts no email or profile
        claims in access tokens, so those fields are usually ``None``."""
        cached = token.__dict__.get(_SESSION_USER)
        if isinstance(cached, cls):
            return cached
        user = cls(
            user_id=token.user_id,
            tenant_id=token.tenant_id or "",
            **claim_values.user_claims(token.claims),
            authenticated_by="bearer",
            is_machine=token.is_machine,
        )
        token.__dict__[_SESSION_USER] = user  # as for sessions: not in eq, asdict or repr
        return user
