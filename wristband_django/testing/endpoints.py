"""Routes a recorded request to the endpoint that answers it."""

from __future__ import annotations

from collections.abc import Callable

from .api import ApiEndpoints
from .browser import BrowserEndpoints
from .directory import Directory
from .grants import Grants
from .models import RecordedRequest
from .responses import Response, error_response
from .routes import route
from .settings import FakeSettings
from .tokens import KeyRing


def favicon(request: RecordedRequest) -> Response:
    """Answer a browser's icon request with no content, so its console shows no 404."""
    return Response(204, b"", "image/x-icon")


class Endpoints:
    """Every endpoint of the fake, by name."""

    def __init__(
        self, settings: FakeSettings, directory: Directory, grants: Grants, keys: KeyRing
    ) -> None:
        browser = BrowserEndpoints(settings, directory, grants)
        api = ApiEndpoints(settings, directory, grants, keys)
        self._handlers: dict[str, Callable[[RecordedRequest], Response]] = {
            "authorize": browser.authorize,
            "logout": browser.logout,
            "app_login": browser.app_login,
            "token": api.token,
            "userinfo": api.userinfo,
            "revoke": api.revoke,
            "jwks": api.jwks,
            "sdk_configuration": api.sdk_configuration,
            "validate_custom_domain": api.validate_custom_domain,
            "favicon": favicon,
        }

    def handle(self, request: RecordedRequest) -> Response:
        name, methods = route(request.path)
        handler = self._handlers.get(name)
        if handler is None:
            return error_response(404, "not_found", f"No endpoint at {request.path}")
        if request.method not in methods:
            allowed = ", ".join(sorted(methods))
            return error_response(405, "method_not_allowed", f"Use {allowed}", {"Allow": allowed})
        return handler(request)
