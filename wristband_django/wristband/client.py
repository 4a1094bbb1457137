"""``WristbandClient``: the only module that speaks HTTP to Wristband.

One ``requests.Session`` per configuration, explicit connect/read timeouts, a total
deadline per call (``call_timeout``, tightened by any enclosing ``deadline()``), and
every failure mapped to a ``WristbandError`` subclass. Nothing here logs a
request or response body: they carry codes, tokens and secrets.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from wristband_django.conf import AuthConfig, register_cache_reset
from wristband_django.deadlines import DeadlineAdapter, deadline, remaining
from wristband_django.errors import (
    InvalidGrantError,
    InvalidResponseError,
    WristbandError,
    WristbandTimeoutError,
    WristbandUnavailableError,
)

logger = logging.getLogger(__name__)

MAX_DESCRIPTION_LENGTH = 300


@dataclass(frozen=True)
class TokenResponse:
    """A successful answer of the token endpoint."""

    access_token: str = field(repr=False)
    expires_in: int
    token_type: str
    id_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    scope: str = ""

    @classmethod
    def from_json(cls, body: Any) -> TokenResponse:
        if not isinstance(body, dict):
            raise InvalidResponseError(
                "invalid_token_response", "the token response is not an object"
            )
        access_token = body.get("access_token")
        expires_in = body.get("expires_in")
        if not isinstance(access_token, str) or not access_token:
            raise InvalidResponseError("invalid_token_response", "access_token is missing")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
            raise InvalidResponseError(
                "invalid_token_response", "expires_in is missing or not a positive integer"
            )
        optional = {}
        for name in ("id_token", "refresh_token", "scope", "token_type"):
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise InvalidResponseError("invalid_token_response", f"{name} is not a string")
            optional[name] = value
        return cls(
            access_token=access_token,
            expires_in=expires_in,
            token_type=optional["token_type"] or "Bearer",
            id_token=optional["id_token"] or None,
            refresh_token=optional["refresh_token"] or None,
            scope=optional["scope"] or "",
        )


def _error_from_response(response: requests.Response) -> WristbandError:
    status = response.status_code
    error, description = "", ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        raw_error = body.get("error")
        error = raw_error if isinstance(raw_error, str) else ""
        raw_description = body.get("error_description")
        if isinstance(raw_description, str):
            description = raw_description[:MAX_DESCRIPTION_LENGTH]
    if not error:
        kind = "JSON without an error code" if isinstance(body, dict) else "a non-JSON body"
        error = "server_error" if status >= 500 else "http_error"
        description = f"Wristband answered HTTP {status} with {kind}"
    if status >= 500:
        return WristbandUnavailableError(error, description, status=status)
    if error == "invalid_grant":
        return InvalidGrantError(error, description, status=status)
    return WristbandError(error, description, status=status)


class WristbandClient:
    """Calls Wristband's token, userinfo, revoke, JWKS and configuration endpoints."""

    def __init__(self, config: AuthConfig):
        self.config = config
        self.base_url = f"{config.wristband_base_url}/api/v1"
        self.timeout = (config.connect_timeout, config.read_timeout)
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.trust_env = False  # no proxies or netrc credentials picked up by accident
        adapter = DeadlineAdapter()  # every byte of every answer within the deadline
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._client_auth = (config.client_id, config.client_secret)

    def _call(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        """One request, all of it (connect, send, every byte of the answer) within
        ``call_timeout`` and any enclosing ``deadline()``, whichever ends first."""
        with deadline(self.config.call_timeout):
            left = remaining() or 0.0
            if left <= 0:
                raise WristbandTimeoutError(
                    f"{what}: the deadline passed before the call", request_sent=False
                )
            return self._send(method, path, what, left, **kwargs)

    def _send(self, method: str, path: str, what: str, left: float, **kwargs: Any) -> Any:
        started = time.monotonic()
        connect, read = self.timeout
        try:
            response = self.session.request(
                method,
                f"{self.base_url}{path}",
                timeout=(min(connect, left), min(read, left)),
                allow_redirects=False,
                **kwargs,
            )
        except requests.ConnectTimeout as exc:
            raise WristbandTimeoutError(
                f"{what}: no connection in time", request_sent=False
            ) from exc
        except requests.RequestException as exc:
            if (remaining() or 0.0) <= 0:  # e.g. ConnectionError for a body cut at the deadline
                raise WristbandTimeoutError(
                    f"{what}: no complete answer within the deadline", request_sent=True
                ) from exc
            if isinstance(exc, requests.ReadTimeout):
                raise WristbandTimeoutError(
                    f"{what}: no answer in time", request_sent=True
                ) from exc
            raise WristbandUnavailableError(
                "connection_error", f"{what}: {type(exc).__name__}"
            ) from exc
        logger.debug(
            "Wristband %s -> HTTP %s in %.0f ms",
            what,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        if not 200 <= response.status_code < 300:
            raise _error_from_response(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise InvalidResponseError("invalid_response", f"{what}: the body is not JSON") from exc

    def _token(self, form: dict[str, str], what: str) -> TokenResponse:
        body = self._call("POST", "/oauth2/token", what=what, data=form, auth=self._client_auth)
        return TokenResponse.from_json(body)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenResponse:
        """Trade an authorization code (with its PKCE verifier) for tokens."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        return self._token(form, "code exchange")

    def refresh(self, refresh_token: str) -> TokenResponse:
        """One refresh attempt; retrying (and the refresh's deadline) is the caller's policy."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token(form, "token refresh")

    def client_credentials(self, client_id: str, client_secret: str) -> TokenResponse:
        """One ``client_credentials`` request for a machine-to-machine client: it
        authenticates with its own id and secret, not this application's."""
        body = self._call(
            "POST",
            "/oauth2/token",
            what="client credentials",
            data={"grant_type": "client_credentials"},
            auth=(client_id, client_secret),
        )
        return TokenResponse.from_json(body)

    def userinfo(self, access_token: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {access_token}"}
        body = self._call("GET", "/oauth2/userinfo", what="userinfo", headers=headers)
        if not isinstance(body, dict):
            raise InvalidResponseError("invalid_userinfo", "userinfo is not a JSON object")
        return body

    def revoke(self, refresh_token: str) -> None:
        self._call(
            "POST",
            "/oauth2/revoke",
            what="revoke",
            data={"token": refresh_token},
            auth=self._client_auth,
        )

    def jwks(self) -> dict[str, Any]:
        body = self._call("GET", "/oauth2/jwks", what="JWKS")
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise InvalidResponseError("invalid_jwks", "the JWKS has no key list")
        return body

    def sdk_configuration(self) -> dict[str, Any]:
        path = f"/clients/{quote(self.config.client_id, safe='')}/sdk-configuration"
        body = self._call("GET", path, what="sdk-configuration", auth=self._client_auth)
        if not isinstance(body, dict):
            raise InvalidResponseError("invalid_sdk_configuration", "the body is not a JSON object")
        return body

    def is_tenant_custom_domain_valid(self, domain: str) -> bool:
        body = self._call(
            "POST",
            "/custom-domains/validate",
            what="custom domain check",
            json={"tenantCustomDomain": domain},
        )
        return isinstance(body, dict) and body.get("valid") is True


MAX_CACHED_CLIENTS = 4
_clients: dict[AuthConfig, WristbandClient] = {}
_clients_lock = threading.Lock()


def get_client(config: AuthConfig) -> WristbandClient:
    """The process-wide client for ``config`` (one connection pool per configuration)."""
    client = _clients.get(config)
    if client is not None:
        return client
    with _clients_lock:
        client = _clients.get(config)
        if client is None:
            while len(_clients) >= MAX_CACHED_CLIENTS:  # settings changed (tests): drop the oldest
                _clients.pop(next(iter(_clients))).session.close()
            client = _clients[config] = WristbandClient(config)
    return client


def _close_clients() -> None:
    with _clients_lock:
        while _clients:
            _clients.popitem()[1].session.close()


register_cache_reset(_close_clients)
