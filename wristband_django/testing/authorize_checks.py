"""What the fake's authorize endpoint refuses before it looks at the user, as Wristband does:
an unknown client, repeated parameters, a redirect URI that is not an absolute http(s) URL,
a host that is no tenant's, and a request that is not an OAuth 2.1 code flow with PKCE."""

from __future__ import annotations

import re

from .models import FakeTenant, RecordedRequest
from .responses import is_http_url
from .settings import FakeSettings

CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: Parameters that must not be repeated (a second value would be ambiguous).
SINGLE_VALUED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "nonce",
    "prompt",
    "max_age",
)


def authorize_problem(
    request: RecordedRequest,
    tenant: FakeTenant | None,
    settings: FakeSettings,
    *,
    application_level: bool = False,
) -> str | None:
    """Return `"error: description"` for an invalid authorize request, else None.

    `tenant` is the tenant of the request's host (None when the host names none); an
    application-level request (on the application vanity domain) names none."""
    params = {name: values[-1] for name, values in request.query.items()}
    repeated = [name for name in SINGLE_VALUED if len(request.query.get(name, [])) > 1]
    separator = "." if settings.is_application_custom_domain_active else "-"
    checks = (
        (
            params.get("client_id") != settings.client_id,
            "invalid_client: unknown or missing client_id",
        ),
        (bool(repeated), f"invalid_request: repeated parameter(s) {', '.join(repeated)}"),
        (
            not is_http_url(params.get("redirect_uri", "")),
            "invalid_request: redirect_uri must be an absolute http(s) URL without fragment",
        ),
        (
            tenant is None and not application_level,
            f"invalid_request: host {request.host!r} is not a known tenant host "
            f"(expected '{{tenant}}{separator}localhost:PORT' or a tenant custom domain)",
        ),
        (
            params.get("response_type") != "code",
            "unsupported_response_type: response_type must be code",
        ),
        (not params.get("state"), "invalid_request: state is required"),
        (
            "openid" not in params.get("scope", "").split(),
            "invalid_scope: scope must include openid",
        ),
        (
            params.get("code_challenge_method") != "S256",
            "invalid_request: code_challenge_method must be S256",
        ),
        (
            not CHALLENGE.match(params.get("code_challenge", "")),
            "invalid_request: code_challenge must be a base64url SHA-256 digest (43 chars)",
        ),
    )
    return next((message for failed, message in checks if failed), None)
