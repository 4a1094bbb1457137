"""Bearer access tokens for code outside views: a Celery task, a websocket consumer, a
management command, another framework's auth hook.

``validate_access_token(token)`` checks a Wristband access token exactly as the decorator,
the mixin, the middleware and the DRF and django-ninja classes do (see
``wristband_django.wristband.access_tokens``) and returns its typed claims.
``bearer_token(request)`` reads ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from wristband_django.conf import get_config
from wristband_django.errors import WristbandError, WristbandUnavailableError
from wristband_django.flows.authentication import bearer_token
from wristband_django.wristband import access_tokens
from wristband_django.wristband.access_tokens import AccessTokenClaims, InvalidAccessTokenError

__all__ = [
    "AccessTokenClaims",
    "InvalidAccessTokenError",
    "WristbandError",
    "WristbandUnavailableError",
    "bearer_token",
    "validate_access_token",
]


def validate_access_token(token: str) -> AccessTokenClaims:
    """The claims of a valid Wristband access token for this application.

    Raises ``InvalidAccessTokenError`` (forged, expired, another issuer or audience, a client
    not in ``allowed_bearer_client_ids``, not a JWT...; its message never contains the
    token) or ``WristbandUnavailableError`` when Wristband's keys cannot be fetched (retry
    later: this is not proof that the token is bad).
    """
    return access_tokens.validate_access_token(get_config(), token)
