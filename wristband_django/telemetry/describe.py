"""What the telemetry says about a flow's result, a failure or a call: attribute values only.

Every value here is a code, an outcome, a status, a host name, a count or a tenant id: never
a token, code, secret, email, state, nonce, session key or cookie value. The results are
read through the small protocols below, so this package imports no flow.

Error codes that came from outside (Wristband's ``error``, a callback's) are kept only when
they look like codes (``[a-z0-9_.]``, at most 64 characters), else ``_OTHER``, as
OpenTelemetry's ``error.type`` does for values it does not know; this bounds their
cardinality and keeps free text out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from wristband_django.errors import (
    StoreUnavailableError,
    WristbandError,
    WristbandUnavailableError,
)
from wristband_django.telemetry import names
from wristband_django.types import WristbandSession

#: An attribute value: what OpenTelemetry accepts, restricted to what this package records.
Value = str | bool | int | float
Attributes = dict[str, Value]

OTHER = "_OTHER"
_CODE = re.compile(r"[a-z0-9_.]{1,64}")
_NAME = re.compile(r"[^a-z0-9]+")


class LoginStartLike(Protocol):
    """What ``flows.login.start_login`` returns, as far as the telemetry reads it."""

    @property
    def login_state(self) -> object: ...


class CallbackResultLike(Protocol):
    """What ``flows.callback.complete_login`` returns, as far as the telemetry reads it."""

    @property
    def outcome(self) -> str: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def session(self) -> WristbandSession | None: ...


class RefreshResultLike(Protocol):
    """What ``flows.refresh.refresh_stored_session`` returns, as far as the telemetry reads it."""

    @property
    def session(self) -> WristbandSession | None: ...

    @property
    def saved(self) -> object: ...

    @property
    def failed(self) -> WristbandSession | None: ...

    @property
    def error(self) -> WristbandError | None: ...


LoginFn = TypeVar("LoginFn", bound=Callable[..., LoginStartLike])
CallbackFn = TypeVar("CallbackFn", bound=Callable[..., CallbackResultLike])
RefreshFn = TypeVar("RefreshFn", bound=Callable[..., RefreshResultLike])
LogoutFn = TypeVar("LogoutFn", bound=Callable[..., WristbandSession | None])
AnyFn = TypeVar("AnyFn", bound=Callable[..., Any])


def code(value: str | None) -> str:
    """Return ``value`` if it looks like an error code or an outcome, else ``_OTHER``."""
    return value if value is not None and _CODE.fullmatch(value) else OTHER


def error_type(exc: BaseException) -> str:
    """Return ``error.type`` for ``exc``: a ``WristbandError``'s code, else the exception's
    fully qualified class name (unqualified for a built-in, such as ``ConnectionError``).

    A ``StoreUnavailableError`` raised from the store client's own error is that error's
    (``ConnectionRefusedError``, ``redis.exceptions.TimeoutError``...): it says more."""
    cause = exc.__cause__
    if isinstance(exc, StoreUnavailableError) and cause is not None:
        return error_type(cause)
    if isinstance(exc, WristbandError):
        return code(exc.error)
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def call_error_type(exc: BaseException, status: int | None) -> str:
    """Return ``error.type`` for a failed call to Wristband: the HTTP status when it answered
    with one (OpenTelemetry's rule for HTTP clients), else the failure's code."""
    if status is not None and status >= 400:
        return str(status)
    return error_type(exc)


def call_name(what: str) -> tuple[str, str | None]:
    """Return the ``wristband.call`` name and the ``url.template`` of the call ``what``."""
    known = names.CALLS.get(what)
    if known is not None:
        return known
    return _NAME.sub("_", what.lower()).strip("_")[:64] or OTHER, None


@lru_cache(maxsize=16)
def server(base_url: str) -> tuple[str, int]:
    """Return ``server.address`` and ``server.port`` of Wristband's base URL."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "", port


def login_step(result: LoginStartLike, prompt: object) -> str:
    """Return where a login sent the browser: ``authorize`` (Wristband's authorize endpoint,
    with a login state), ``not_logged_in`` (a ``prompt=none`` login that could not start) or
    ``tenant_discovery`` (the application-level login page)."""
    if result.login_state is not None:
        return "authorize"
    return "not_logged_in" if prompt == "none" else "tenant_discovery"


def callback_attributes(result: CallbackResultLike) -> Attributes:
    """Return the outcome of a callback (and its failure reason, when it logged no one in)."""
    attributes: Attributes = {names.LOGIN_OUTCOME: code(result.outcome)}
    if result.reason is not None:
        attributes[names.LOGIN_FAILURE] = code(result.reason)
    if result.outcome == "error":
        attributes[names.ERROR_TYPE] = code(result.reason)
    return attributes


def refresh_attributes(result: RefreshResultLike) -> Attributes:
    """Return the outcome of a refresh that returned (and its error, when it ended the
    session)."""
    if result.failed is not None:
        failure = result.error
        return {
            names.REFRESH_OUTCOME: names.ENDED,
            names.ERROR_TYPE: error_type(failure) if failure is not None else OTHER,
        }
    if result.saved is not None:
        return {names.REFRESH_OUTCOME: names.REFRESHED}
    if result.session is None:
        return {names.REFRESH_OUTCOME: names.SESSION_GONE}
    return {names.REFRESH_OUTCOME: names.REFRESHED_ELSEWHERE}


def refresh_failure(exc: BaseException, store_errors: tuple[type[BaseException], ...]) -> str:
    """Return the outcome of a refresh that raised ``exc``: the session kept through a
    Wristband outage, a store that did not answer, or another error."""
    if isinstance(exc, WristbandUnavailableError):
        return names.KEPT_THROUGH_OUTAGE
    if isinstance(exc, (StoreUnavailableError, *store_errors)):
        return names.STORE_UNAVAILABLE
    return names.FAILED


def tenant_of(*sessions: WristbandSession | None) -> Attributes:
    """Return ``wristband.tenant.id`` of the first session given, if any (spans only)."""
    for session in sessions:
        if session is not None and session.tenant_id:
            return {names.TENANT_ID: session.tenant_id}
    return {}
