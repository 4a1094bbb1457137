"""The spans of the flows (login, callback, refresh, logout) and the counts of their outcomes,
through OpenTelemetry's API: decorators that read each flow's result.

A flow's span is the parent of the calls to Wristband made inside it, which count their
attempts in it (``wristband.attempt``). Exceptions go up unchanged; the span records their
``error.type`` and an ``ERROR`` status, never their message.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from opentelemetry.trace import Status, StatusCode

from wristband_django.telemetry import describe, names, otel
from wristband_django.telemetry.describe import (
    Attributes,
    CallbackFn,
    LoginFn,
    LogoutFn,
    RefreshFn,
)


def traced_login(fn: LoginFn) -> LoginFn:
    """Trace a login's start (``wristband.login``) and count it by where it sent the browser."""

    @functools.wraps(fn)
    def traced(*args: Any, **kwargs: Any) -> Any:
        with otel.flow(names.LOGIN_SPAN) as (span, _):
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                otel.failed(span, {names.ERROR_TYPE: describe.error_type(exc)})
                raise
            attributes = {names.LOGIN_STEP: describe.login_step(result, kwargs.get("prompt"))}
            span.set_attributes(attributes)
            otel.login_starts.add(1, attributes)
            return result

    return cast(LoginFn, traced)


def traced_callback(fn: CallbackFn) -> CallbackFn:
    """Trace a callback (``wristband.callback``) and count the login by its outcome."""

    @functools.wraps(fn)
    def traced(*args: Any, **kwargs: Any) -> Any:
        with otel.flow(names.CALLBACK_SPAN) as (span, _):
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                attributes: Attributes = {
                    names.LOGIN_OUTCOME: "error",
                    names.ERROR_TYPE: describe.error_type(exc),
                }
                otel.failed(span, attributes)
                otel.logins.add(1, attributes)
                raise
            attributes = describe.callback_attributes(result)
            span.set_attributes({**attributes, **describe.tenant_of(result.session)})
            if result.outcome == "error":
                span.set_status(Status(StatusCode.ERROR))
            otel.logins.add(1, attributes)
            return result

    return cast(CallbackFn, traced)


def traced_refresh(fn: RefreshFn) -> RefreshFn:
    """Trace a refresh under the session's lock (``wristband.refresh``), counted by outcome."""

    @functools.wraps(fn)
    def traced(*args: Any, **kwargs: Any) -> Any:
        with otel.flow(names.REFRESH_SPAN) as (span, attempts):
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                attributes: Attributes = {
                    names.REFRESH_OUTCOME: describe.refresh_failure(exc, otel.outage_errors()),
                    names.ERROR_TYPE: describe.error_type(exc),
                }
                tried = attempts.get("token_refresh", 0)
                otel.failed(span, {**attributes, names.REFRESH_ATTEMPTS: tried})
                otel.refreshes.add(1, attributes)
                raise
            attributes = describe.refresh_attributes(result)
            span.set_attributes(
                {
                    **attributes,
                    names.REFRESH_ATTEMPTS: attempts.get("token_refresh", 0),
                    **describe.tenant_of(result.session, result.failed),
                }
            )
            if names.ERROR_TYPE in attributes:
                span.set_status(Status(StatusCode.ERROR))
            otel.refreshes.add(1, attributes)
            return result

    return cast(RefreshFn, traced)


def traced_logout(fn: LogoutFn) -> LogoutFn:
    """Trace a logout (``wristband.logout``): whether it ended a session, and whose tenant."""

    @functools.wraps(fn)
    def traced(*args: Any, **kwargs: Any) -> Any:
        with otel.flow(names.LOGOUT_SPAN) as (span, _):
            try:
                ended = fn(*args, **kwargs)
            except Exception as exc:
                otel.failed(span, {names.ERROR_TYPE: describe.error_type(exc)})
                raise
            span.set_attributes(
                {names.LOGOUT_ENDED: ended is not None, **describe.tenant_of(ended)}
            )
            return ended

    return cast(LogoutFn, traced)
