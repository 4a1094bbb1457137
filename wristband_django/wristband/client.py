"""``WristbandClient``: the only module that speaks HTTP to Wristband.

One connection pool (a ``requests`` adapter) per configuration, explicit connect/read
timeouts, a total deadline per call (``call_timeout``, tightened by any enclosing
``deadline()``), and every failure mapped to a ``WristbandError`` subclass: an answer by
``answers.py``, a failure to connect by ``failures.py``. Nothing here logs a request or
response body: they carry codes, tokens and secrets.

The proxy and the CA bundle are resolved once per client (``Route``, in ``route.py``): the
settings ``proxy_url`` and ``ca_bundle`` win; without them, the environment's variables as
requests reads them. ``trust_env`` stays off all the same, so that ``.netrc`` is never read.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.auth import HTTPBasicAuth
from requests.utils import default_headers

from wristband_django import telemetry
from wristband_django.conf import AuthConfig, register_cache_reset
from wristband_django.deadlines import deadline, remaining
from wristband_django.errors import (
    InvalidResponseError,
    WristbandTimeoutError,
    WristbandUnavailableError,
)
from wristband_django.wristband import answers, failures
from wristband_django.wristband.answers import TokenResponse
from wristband_django.wristband.prepared import PreparedRequests
from wristband_django.wristband.route import Route
from wristband_django.wristband.transport import DeadlineAdapter

logger = logging.getLogger(__name__)

#: What a ``requests.Session`` sends on every call, with JSON answers asked for.
DEFAULT_HEADERS = {**default_headers(), "Accept": "application/json"}


class WristbandClient:
    """Calls Wristband's token, userinfo, revoke, JWKS and configuration endpoints."""

    def __init__(self, config: AuthConfig):
        self.config = config
        self.base_url = f"{config.wristband_base_url}/api/v1"
        self.timeout = (config.connect_timeout, config.read_timeout)
        self.route = Route.resolve(config, self.base_url)
        self._proxies = (
            {} if self.route.proxy is None else {urlsplit(self.base_url).scheme: self.route.proxy}
        )
        self._verify: str | bool = self.route.ca_bundle or True
        logger.debug("Calls to Wristband at %s: %s", config.wristband_base_url, self.route)
        # Requests are sent through the adapter itself, without a ``requests.Session``: no
        # cookie jar, hooks or settings to merge on every call, and never .netrc
        # credentials; the proxy and the CA bundle are resolved above.
        self.adapter = DeadlineAdapter()  # every byte of every answer within the deadline
        self._client_auth = HTTPBasicAuth(config.client_id, config.client_secret)
        self._prepared = PreparedRequests(self.base_url, DEFAULT_HEADERS, self._client_auth)

    def close(self) -> None:
        """Close the pooled connections."""
        self.adapter.close()

    def _call(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        """Make one request and return its JSON body (``None`` when the body is empty).

        All of it (connecting, sending, every byte of the answer) happens within
        ``call_timeout`` and any enclosing ``deadline()``, whichever ends first.
        """
        with telemetry.call(what, method, self.base_url), deadline(self.config.call_timeout):
            left = remaining() or 0.0
            if left <= 0:
                raise WristbandTimeoutError(
                    f"{what}: the deadline passed before the call", request_sent=False
                )
            return self._send(method, path, what, left, **kwargs)

    def _send(self, method: str, path: str, what: str, left: float, **kwargs: Any) -> Any:
        problem = self.route.problem()  # an unusable proxy variable, a missing CA bundle
        if problem is not None:
            raise self._network_failure(problem[0], f"{what}: {problem[1]}")
        started = time.monotonic()
        connect, read = self.timeout
        try:
            response = self.adapter.send(
                self._prepared.prepare(method, path, **kwargs),  # as requests prepares
                timeout=(min(connect, left), min(read, left)),
                verify=self._verify,
                proxies=self._proxies,
            )
            response.content  # noqa: B018 - the whole body, within the deadline
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
            raise self._failure(exc, what) from exc
        telemetry.answered(response.status_code)
        logger.debug(
            "Wristband %s -> HTTP %s in %.0f ms",
            what,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        if not 200 <= response.status_code < 300:
            raise answers.error_from_response(response)
        if not response.content:
            return None
        try:
            return answers.json_body(response.content)
        except ValueError as exc:
            raise InvalidResponseError("invalid_response", f"{what}: the body is not JSON") from exc

    def _failure(self, exc: requests.RequestException, what: str) -> WristbandUnavailableError:
        """Return the error for a failure to connect, named by its cause if TLS or the proxy.

        ``failures.diagnose`` finds that cause.
        """
        host = self.config.wristband_application_vanity_domain
        diagnosis = failures.diagnose(exc, self.route, host)
        if diagnosis is None:
            return WristbandUnavailableError("connection_error", f"{what}: {type(exc).__name__}")
        error, problem = diagnosis
        return self._network_failure(error, f"{what}: {problem}")

    def _network_failure(self, error: str, description: str) -> WristbandUnavailableError:
        """Log a TLS or proxy failure with the route, and return its error.

        A setting or the environment is wrong, and the operator must see which; the route
        is logged with the proxy's credentials redacted.
        """
        logger.warning("Calling Wristband failed: %s: %s [%s]", error, description, self.route)
        return WristbandUnavailableError(error, description)

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
        """Trade a refresh token for new tokens, in one attempt.

        Retrying, and the refresh's deadline, are the caller's policy.
        """
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token(form, "token refresh")

    def client_credentials(self, client_id: str, client_secret: str) -> TokenResponse:
        """Request tokens for a machine-to-machine client with the ``client_credentials`` grant.

        The client authenticates with its own id and secret, not this application's.
        """
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
    """Return the process-wide client for ``config``.

    Each configuration has its own client, and so its own connection pool.
    """
    client = _clients.get(config)
    if client is not None:
        return client
    with _clients_lock:
        client = _clients.get(config)
        if client is None:
            while len(_clients) >= MAX_CACHED_CLIENTS:  # settings changed (tests): drop the oldest
                _clients.pop(next(iter(_clients))).close()
            client = _clients[config] = WristbandClient(config)
    return client


def _close_clients() -> None:
    with _clients_lock:
        while _clients:
            _clients.popitem()[1].close()


register_cache_reset(_close_clients)
