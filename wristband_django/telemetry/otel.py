"""The telemetry through OpenTelemetry's API (the ``otel`` extra): the tracer, the
instruments, and what the Wristband client and the store record (the flows' spans are
``telemetry.otel_flows``'s).

The tracer and the meter come from the API's global providers, so nothing is recorded until
the project installs an SDK (its own ``TracerProvider`` and ``MeterProvider``); the
instruments made here at import start recording once it does. Spans record no exception
events (an exception's message and traceback may quote a value this app never records) and
no status description: a failure sets the status to ``ERROR`` and ``error.type``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import metadata
from typing import Any, cast

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from wristband_django.errors import StoreUnavailableError
from wristband_django.telemetry import describe, names
from wristband_django.telemetry.describe import AnyFn, Attributes, Value

#: Histogram buckets (seconds): OpenTelemetry's for HTTP client durations; lock waits from a
#: millisecond (no contention) to half a minute (a refresh held up to its whole deadline).
CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
LOCK_WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def _version() -> str:
    """Return the installed package's version (the instrumentation scope's), else ``""``."""
    try:
        return metadata.version("wristband-django")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return ""


_tracer = trace.get_tracer(names.SCOPE, _version())
_meter = metrics.get_meter(names.SCOPE, _version())

login_starts = _meter.create_counter(
    names.LOGIN_STARTS, unit="{login}", description="Logins started by the Login endpoint."
)
logins = _meter.create_counter(
    names.LOGINS, unit="{login}", description="Callbacks, by outcome and failure reason."
)
refreshes = _meter.create_counter(
    names.REFRESHES, unit="{refresh}", description="Token refreshes, by outcome."
)
_store_outages = _meter.create_counter(
    names.STORE_OUTAGES,
    unit="{outage}",
    description="Operations the session store or the lock cache did not answer.",
)
_jwks_fetches = _meter.create_counter(
    names.JWKS_FETCHES, unit="{fetch}", description="Fetches of Wristband's signing keys."
)
_lock_wait = _meter.create_histogram(
    names.LOCK_WAIT,
    unit="s",
    description="Time spent waiting for a session's lock.",
    explicit_bucket_boundaries_advisory=LOCK_WAIT_BUCKETS,
)
_call_duration = _meter.create_histogram(
    names.CALL_DURATION,
    unit="s",
    description="Duration of calls to Wristband.",
    explicit_bucket_boundaries_advisory=CALL_BUCKETS,
)

#: The calls to Wristband made so far in the current flow, by ``wristband.call``: the
#: attempt number of the next one (``None`` outside a flow).
_attempts: ContextVar[dict[str, int] | None] = ContextVar("wristband_attempts", default=None)
#: What counts as the store not answering (``store.outages`` adds its client errors).
_outage_errors: tuple[type[BaseException], ...] = (StoreUnavailableError,)


@dataclass
class _Answer:
    """The HTTP status of the current call to Wristband, once it answered."""

    status: int | None = None


_answer: ContextVar[_Answer | None] = ContextVar("wristband_answer", default=None)


def treat_as_store_outage(errors: tuple[type[BaseException], ...]) -> None:
    """Count ``errors`` (a store client's own, e.g. ``OSError``) as the store not answering."""
    global _outage_errors
    _outage_errors = (StoreUnavailableError, *errors)


def outage_errors() -> tuple[type[BaseException], ...]:
    """Return what counts as the store not answering."""
    return _outage_errors


def failed(span: Span, attributes: Mapping[str, Value]) -> None:
    """Mark ``span`` failed, with ``attributes`` (its ``error.type``)."""
    span.set_attributes(attributes)
    span.set_status(Status(StatusCode.ERROR))


@contextmanager
def flow(name: str) -> Iterator[tuple[Span, dict[str, int]]]:
    """Open the span of a flow; the calls to Wristband inside count their attempts in it."""
    attempts: dict[str, int] = {}
    token = _attempts.set(attempts)
    try:
        with _tracer.start_as_current_span(
            name, record_exception=False, set_status_on_exception=False
        ) as span:
            yield span, attempts
    finally:
        _attempts.reset(token)


def counts_store_outages(operation: str) -> Callable[[AnyFn], AnyFn]:
    """Count each call of the decorated function that the store did not answer."""

    def decorate(fn: AnyFn) -> AnyFn:
        @functools.wraps(fn)
        def counted(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except _outage_errors as exc:
                store_outage(operation, exc)
                raise

        return cast(AnyFn, counted)

    return decorate


def store_outage(operation: str, exc: BaseException) -> None:
    """Count one ``operation`` the session store or the lock cache did not answer."""
    _store_outages.add(
        1, {names.STORE_OPERATION: operation, names.ERROR_TYPE: describe.error_type(exc)}
    )


def jwks_fetch(error: BaseException | None) -> None:
    """Count one fetch of Wristband's JWKS: ``error`` is why it failed, ``None`` if it did not."""
    if error is None:
        _jwks_fetches.add(1, {names.JWKS_OUTCOME: "fetched"})
    else:
        attributes = {names.JWKS_OUTCOME: "failed", names.ERROR_TYPE: describe.error_type(error)}
        _jwks_fetches.add(1, attributes)


def lock_wait(purpose: str, seconds: float, *, acquired: bool) -> None:
    """Record ``seconds`` spent waiting for a lock (``purpose``: whose), and if it was had."""
    _lock_wait.record(seconds, {names.LOCK_PURPOSE: purpose, names.LOCK_ACQUIRED: acquired})


def answered(status: int) -> None:
    """Note the HTTP status Wristband answered the current call with."""
    current = _answer.get()
    if current is not None:
        current.status = status


def _next_attempt(call: str) -> int:
    attempts = _attempts.get()
    if attempts is None:
        return 1
    attempts[call] = attempts.get(call, 0) + 1
    return attempts[call]


def call(what: str, method: str, base_url: str) -> AbstractContextManager[None]:
    """Trace one call to Wristband (its span, its duration) made inside the block.

    ``what`` names the call (``wristband.client``'s names), ``base_url`` is Wristband's.
    """
    return _call(what, method, base_url)


@contextmanager
def _call(what: str, method: str, base_url: str) -> Iterator[None]:
    name, template = describe.call_name(what)
    host, port = describe.server(base_url)
    attempt = _next_attempt(name)
    attributes: Attributes = {
        names.CALL: name,
        names.HTTP_METHOD: method,
        names.SERVER_ADDRESS: host,
        names.SERVER_PORT: port,
    }
    if template is not None:
        attributes[names.URL_TEMPLATE] = template
    answer = _Answer()
    started = time.monotonic()
    with _tracer.start_as_current_span(
        f"{method} {template}" if template else method,
        kind=SpanKind.CLIENT,
        attributes={**attributes, names.ATTEMPT: attempt},
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        token = _answer.set(answer)
        try:
            yield
        except Exception as exc:
            attributes[names.ERROR_TYPE] = describe.call_error_type(exc, answer.status)
            failed(span, {names.ERROR_TYPE: attributes[names.ERROR_TYPE]})
            raise
        finally:
            _answer.reset(token)
            if answer.status is not None:
                attributes[names.HTTP_STATUS] = answer.status
                span.set_attribute(names.HTTP_STATUS, answer.status)
            attributes[names.RETRY] = attempt > 1
            _call_duration.record(time.monotonic() - started, attributes)
