"""Bearer access tokens for code outside views: a Celery task, a websocket consumer, a
management command, another framework's auth hook.

``validate_access_token(token, request)`` checks a Wristband access token exactly as the
decorator, the mixin, the middleware and the DRF and django-ninja classes do (see
``wristband_django.wristband.access_tokens``) and returns its typed claims.
``bearer_token(request)`` reads ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from django.http import HttpRequest

from wristband_django.conf import get_config
from wristband_django.errors import (
    InvalidAccessTokenError,
    StoreUnavailableError,
    WristbandError,
    WristbandUnavailableError,
)
from wristband_django.flows.authentication import bearer_token
from wristband_django.flows.tenant_hosts import check_token_host
from wristband_django.types import AccessTokenClaims
from wristband_django.wristband import access_tokens

__all__ = [
    "AccessTokenClaims",
    "InvalidAccessTokenError",
    "WristbandError",
    "WristbandUnavailableError",
    "bearer_token",
    "validate_access_token",
]


def validate_access_token(token: str, request: HttpRequest | None = None) -> AccessTokenClaims:
    """Return the claims of a valid Wristband access token for this application.

    Given the ``request`` the token came with, the token must also be of the tenant that the
    request's host names, where it names one (a tenant subdomain or custom domain, as for
    every view this app protects).
    Raises ``InvalidAccessTokenError`` (forged, expired, another issuer or audience, a client
    not in ``allowed_bearer_client_ids``, not a JWT, another tenant than the host's...; its
    message never contains the token) or ``WristbandUnavailableError`` when Wristband's keys
    cannot be fetched (retry later: this is not proof that the token is bad).
    """
    config = get_config()
    claims = access_tokens.validate_access_token(config, token)
    if request is not None:
        try:
            check_token_host(request, config, claims)
        except StoreUnavailableError as exc:  # the host's tenant id could not be read
            raise WristbandUnavailableError(exc.error, exc.error_description) from exc
    return claims
