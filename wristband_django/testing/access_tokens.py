"""The claims of the access tokens the fake issues: one builder for its token endpoint and
for ``FakeWristband.access_token_for`` (a token a test hands to a bearer-token API)."""

from __future__ import annotations

from typing import Any

from .models import FakeTenant, FakeUser
from .settings import FakeSettings

#: The scope of a token ``access_token_for`` makes: what the app asks for by default.
DEFAULT_SCOPE = "openid offline_access email"


def access_token_claims(
    settings: FakeSettings,
    user: FakeUser,
    tenant: FakeTenant,
    *,
    scope: str,
    jti: str,
    now: int,
) -> dict[str, Any]:
    """Return the claims of an access token for ``user`` of ``tenant``, issued ``now`` (epoch
    seconds) for ``settings.access_token_ttl`` seconds, as Wristband issues them: RFC 9068's
    ``iss``, ``sub``, ``aud``, ``exp``, ``iat``, ``jti`` and ``client_id``, and Wristband's
    ``tnt_id`` and ``app_id``."""
    return {
        "iss": settings.issuer,
        "sub": user.sub,
        "aud": [settings.client_id],
        "exp": now + settings.access_token_ttl,
        "iat": now,
        "jti": jti,
        "tnt_id": tenant.id,
        "app_id": settings.app_id,
        "client_id": settings.client_id,
        "scope": scope,
    }
