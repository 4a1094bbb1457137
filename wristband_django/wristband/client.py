"""``WristbandClient``: the only module that speaks HTTP to Wristband.

One connection pool (a ``requests`` adapter) per configuration, explicit connect/read
timeouts, a total deadline per call (``call_timeout``, tightened by any enclosing
``deadline()``), and every failure mapped to a ``WristbandError`` subclass. Nothing here
logs a request or response body: they carry codes, tokens and secrets.

The proxy and the CA bundle are resolved once per client (``Route``, in ``route.py``): the
settings ``proxy_url`` and ``ca_bundle`` win; without them, the environment's variables as
requests reads them. ``trust_env`` stays off all the same, so that ``.netrc`` is never read.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth
from requests.utils import default_headers

from wristband_django.conf import AuthConfig, register_cache_reset
from wristband_django.deadlines import DeadlineAdapter, deadline, remaining
from wristband_django.errors import (
    InvalidGrantError,
    InvalidResponseError,
    WristbandError,
    WristbandTimeoutError,
    WristbandUnavailableError,
)
from wristband_django.wristband.route import Route

logger = logging.getLogger(__name__)

MAX_DESCRIPTION_LENGTH = 300
#: What a ``requests.Session`` sends on every call, with JSON answers asked for.
DEFAULT_HEADERS = {**default_headers(), "Accept": "application/json"}


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


#: OpenSSL verification results that mean "no trusted CA issued this certificate".
UNTRUSTED_ISSUER_CODES = frozenset({2, 18, 19, 20, 21})
HOSTNAME_MISMATCH_CODE = 62
_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: (\d{3})\s*(.{0,60})")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps (requests and urllib3 nest them in ``args``,
    ``reason`` and ``original_error``), outermost first."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = (
            getattr(current, "reason", None),
            getattr(current, "original_error", None),
            current.__cause__,
            current.__context__,
            *current.args,
        )
        pending.extend(item for item in inner if isinstance(item, BaseException))


def _ssl_text(error: ssl.SSLError) -> str:
    """OpenSSL's words, without the source location (``(_ssl.c:1006)``)."""
    text = str(error.args[1]) if len(error.args) > 1 else str(error)
    return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", text)


def _error_from_response(response: requests.Response) -> WristbandError:
    status = response.status_code
    error, description = "", ""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
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

    def close(self) -> None:
        """Close the pooled connections."""
        self.adapter.close()

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
        problem = self.route.problem()  # an unusable proxy variable, a missing CA bundle
        if problem is not None:
            raise self._network_failure(problem[0], f"{what}: {problem[1]}")
        started = time.monotonic()
        connect, read = self.timeout
        try:
            response = self.adapter.send(
                self._prepare(method, path, **kwargs),
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
        except (ValueError, RecursionError) as exc:  # nested past the parser's depth
            raise InvalidResponseError("invalid_response", f"{what}: the body is not JSON") from exc

    def _prepare(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        auth: AuthBase | tuple[str, str] | None = None,
        **body: Any,
    ) -> requests.PreparedRequest:
        """The request, as ``requests.Session`` would prepare it (``data`` is form-encoded,
        ``json`` JSON-encoded, ``auth`` applied)."""
        request = requests.PreparedRequest()
        request.prepare(
            method=method,
            url=f"{self.base_url}{path}",
            headers={**DEFAULT_HEADERS, **(headers or {})},
            auth=auth,
            **body,
        )
        return request

    def _failure(self, exc: requests.RequestException, what: str) -> WristbandUnavailableError:
        """A failure to connect, named by its cause when it is TLS or the proxy."""
        proxy_failure = isinstance(
            exc, (requests.exceptions.ProxyError, requests.exceptions.InvalidProxyURL)
        ) or (self.route.proxy is not None and isinstance(exc, requests.exceptions.InvalidSchema))
        if proxy_failure:
            return self._network_failure("proxy_error", f"{what}: {self._proxy_problem(exc)}")
        if isinstance(exc, requests.exceptions.SSLError):
            return self._network_failure("tls_error", f"{what}: {self._tls_problem(exc)}")
        return WristbandUnavailableError("connection_error", f"{what}: {type(exc).__name__}")

    def _network_failure(self, error: str, description: str) -> WristbandUnavailableError:
        """A TLS or proxy failure: logged with the route (a setting or the environment is
        wrong, and the operator must see which), the proxy's credentials redacted."""
        logger.warning("Calling Wristband failed: %s: %s [%s]", error, description, self.route)
        return WristbandUnavailableError(error, description)

    def _tls_problem(self, exc: requests.RequestException) -> str:
        host = self.config.wristband_application_vanity_domain
        causes = list(_causes(exc))
        verify = next((c for c in causes if isinstance(c, ssl.SSLCertVerificationError)), None)
        if verify is not None:
            reason = f"certificate verify failed ({verify.verify_message}) for {host}"
            if verify.verify_code in UNTRUSTED_ISSUER_CODES:
                return f"{reason}: {self.route.ca_hint()}"
            if verify.verify_code == HOSTNAME_MISMATCH_CODE:
                return f"{reason}: is wristband_application_vanity_domain right?"
            return reason
        other = next((c for c in causes if isinstance(c, ssl.SSLError)), None)
        if other is not None:
            return f"TLS with {host} failed ({_ssl_text(other)})"
        return f"TLS with {host} failed"

    def _proxy_problem(self, exc: requests.RequestException) -> str:
        source = self.route.proxy_source
        causes = list(_causes(exc))
        for cause in causes:
            tunnel = _TUNNEL_REFUSED.match(str(cause)) if type(cause) is OSError else None
            if tunnel is not None:
                status, reason = tunnel.group(1), tunnel.group(2).strip()
                hint = (
                    f"give the proxy's credentials in {source} (http://user:password@host:port)"
                    if status == "407"
                    else "does the proxy allow connections to this host and port?"
                )
                host = self.config.wristband_application_vanity_domain
                return (
                    f"the proxy refused the connection to {host} (CONNECT answered {status} "
                    f"{reason}): {hint}"
                )
        if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
            return f"the proxy refused the connection: is it running, and is {source} right?"
        if any(isinstance(cause, socket.gaierror) for cause in causes):
            return f"the proxy's host name does not resolve: is {source} right?"
        if any(isinstance(cause, TimeoutError) for cause in causes):
            return "the proxy did not answer in time"
        tls = next((cause for cause in causes if isinstance(cause, ssl.SSLError)), None)
        if tls is not None:
            return f"TLS with the proxy failed ({_ssl_text(tls)}): is {source}'s scheme right?"
        if isinstance(exc, requests.exceptions.ProxyError):
            return f"the proxy failed ({type(causes[-1]).__name__})"
        return f"the proxy URL from {source} is not usable ({type(exc).__name__})"

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
                _clients.pop(next(iter(_clients))).close()
            client = _clients[config] = WristbandClient(config)
    return client


def _close_clients() -> None:
    with _clients_lock:
        while _clients:
            _clients.popitem()[1].close()


register_cache_reset(_close_clients)
