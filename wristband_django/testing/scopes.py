"""Which user claims a login's scopes grant, as Wristband decides it: the fake's userinfo
answer and the user claims of its ID tokens.

Wristband's userinfo reference (docs.wristband.dev/reference/userinfo) always returns
``sub``, ``tnt_id``, ``app_id`` and ``idp_name``; every other standard claim needs its
scope (``SCOPE_CLAIMS``). Custom claims configured for the userinfo answer are returned
whatever the scopes, so a user's ``extra_claims`` that no scope names (``custom_claims``,
say) are always returned, while those a scope names (``locale``, ``phone_number``...) are
gated like the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import FakeTenant, FakeUser

#: The claims each scope grants, from Wristband's userinfo reference.
SCOPE_CLAIMS: Mapping[str, frozenset[str]] = {
    "profile": frozenset(
        {
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "picture",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        }
    ),
    "email": frozenset({"email", "email_verified"}),
    "phone": frozenset({"phone_number", "phone_number_verified"}),
    "roles": frozenset({"roles"}),
}

#: Every claim some scope grants: absent unless that scope was granted.
GATED_CLAIMS = frozenset().union(*SCOPE_CLAIMS.values())


def granted(scope: str) -> frozenset[str]:
    """Return the gated claims the space-separated ``scope`` grants."""
    return frozenset().union(*(SCOPE_CLAIMS.get(name, frozenset()) for name in scope.split()))


def _allowed(claims: Mapping[str, Any], scope: str) -> dict[str, Any]:
    """Return ``claims`` without the gated claims ``scope`` does not grant."""
    grants = granted(scope)
    return {
        name: value for name, value in claims.items() if name not in GATED_CLAIMS or name in grants
    }


def userinfo_claims(
    user: FakeUser, tenant: FakeTenant, *, app_id: str, scope: str
) -> dict[str, Any]:
    """Return the userinfo answer for ``user`` of ``tenant`` to a token granted ``scope``.

    The user's ``email`` (verified unless ``extra_claims`` says otherwise), ``name`` (when
    set) and ``roles`` need the ``email``, ``profile`` and ``roles`` scopes; ``extra_claims``
    are added (replacing the above) and gated the same way.
    """
    claims: dict[str, Any] = {
        "sub": user.sub,
        "tnt_id": tenant.id,
        "app_id": app_id,
        "idp_name": tenant.idp_name,
        "email": user.email,
        "email_verified": True,
        "roles": [dict(role) for role in user.roles],
    }
    if user.name:
        claims["name"] = user.name
    return _allowed({**claims, **user.extra_claims}, scope)


def id_token_user_claims(user: FakeUser, scope: str) -> dict[str, Any]:
    """Return the user claims of an ID token for ``user`` granted ``scope``: ``email`` and
    ``email_verified``, which need the ``email`` scope as in the userinfo answer."""
    verified = bool(user.extra_claims.get("email_verified", True))
    return _allowed({"email": user.email, "email_verified": verified}, scope)
