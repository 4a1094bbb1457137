"""URL paths of the fake, mapped to endpoint names and allowed methods."""

from __future__ import annotations

import re
from urllib.parse import unquote

UNKNOWN = "unknown"

_ROUTES: dict[str, tuple[str, frozenset[str]]] = {
    "/api/v1/oauth2/authorize": ("authorize", frozenset({"GET"})),
    "/api/v1/oauth2/token": ("token", frozenset({"POST"})),
    "/api/v1/oauth2/userinfo": ("userinfo", frozenset({"GET", "POST"})),
    "/api/v1/oauth2/revoke": ("revoke", frozenset({"POST"})),
    "/api/v1/oauth2/jwks": ("jwks", frozenset({"GET"})),
    "/api/v1/custom-domains/validate": ("validate_custom_domain", frozenset({"POST"})),
    "/api/v1/logout": ("logout", frozenset({"GET"})),
    "/login": ("app_login", frozenset({"GET"})),
    "/favicon.ico": ("favicon", frozenset({"GET"})),
}
_SDK_CONFIGURATION = re.compile(r"^/api/v1/clients/([^/]+)/sdk-configuration$")


def route(path: str) -> tuple[str, frozenset[str]]:
    """Return the endpoint name and allowed methods for `path` (`"unknown"` if none)."""
    if _SDK_CONFIGURATION.match(path):
        return "sdk_configuration", frozenset({"GET"})
    return _ROUTES.get(path, (UNKNOWN, frozenset()))


def sdk_configuration_client_id(path: str) -> str:
    match = _SDK_CONFIGURATION.match(path)
    return unquote(match.group(1)) if match else ""
