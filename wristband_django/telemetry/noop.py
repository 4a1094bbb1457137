"""The telemetry without OpenTelemetry installed: the same functions, doing nothing.

The decorators return the function they are given, so decorated code runs exactly as if it
were not decorated; ``call`` returns one shared context manager that does nothing, and the
other functions return at once. ``telemetry.otel`` has the same signatures.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from wristband_django.telemetry.describe import AnyFn, CallbackFn, LoginFn, LogoutFn, RefreshFn

_NOTHING: AbstractContextManager[None] = nullcontext()


def traced_login(fn: LoginFn) -> LoginFn:
    """Return ``fn`` itself."""
    return fn


def traced_callback(fn: CallbackFn) -> CallbackFn:
    """Return ``fn`` itself."""
    return fn


def traced_refresh(fn: RefreshFn) -> RefreshFn:
    """Return ``fn`` itself."""
    return fn


def traced_logout(fn: LogoutFn) -> LogoutFn:
    """Return ``fn`` itself."""
    return fn


def _unchanged(fn: AnyFn) -> AnyFn:
    return fn


def counts_store_outages(operation: str) -> Callable[[AnyFn], AnyFn]:
    """Return a decorator that returns the function itself."""
    return _unchanged


def treat_as_store_outage(errors: tuple[type[BaseException], ...]) -> None:
    """Do nothing."""


def store_outage(operation: str, exc: BaseException) -> None:
    """Do nothing."""


def jwks_fetch(error: BaseException | None) -> None:
    """Do nothing."""


def lock_wait(purpose: str, seconds: float, *, acquired: bool) -> None:
    """Do nothing."""


def answered(status: int) -> None:
    """Do nothing."""


def call(what: str, method: str, base_url: str) -> AbstractContextManager[None]:
    """Return a context manager that does nothing (the same one every time)."""
    return _NOTHING
