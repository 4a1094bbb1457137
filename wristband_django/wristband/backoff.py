"""The one backoff after failed calls to Wristband that are not retried at once
(auto-configuration, the JWKS, tenant custom domains, M2M tokens), and the memory of them.

The schedule is 1 s, doubling with each failure in a row, at most 60 s. A ``Failure`` is
the state: how many calls failed in a row, when the last one failed, when the call may be
made again and what the error was. It also makes the decisions (whether it holds a call
back now, the error to raise meanwhile). ``FailureMemory`` keeps one ``Failure`` in a
process, thread-safe; the M2M tokens keep theirs sealed in a cache all processes share
(``flows.machine_tokens``), which is why the state is a plain record.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from wristband_django.errors import WristbandError, WristbandUnavailableError

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
#: Past this many failures the wait is the maximum (and 2 ** failures never overflows).
_DOUBLINGS = 32
#: Failures in a row counted at most (the wait is at its maximum long before).
MAX_COUNTED_FAILURES = 1000


def backoff_seconds(failures: int) -> float:
    """Return how long to wait after ``failures`` (1 or more) failures in a row."""
    doublings = min(max(failures - 1, 0), _DOUBLINGS)
    return min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2.0**doublings)


@dataclass(frozen=True)
class Failure:
    """The last of ``failures`` failed calls in a row: when it failed, when the call may be
    made again, and its error, kept as plain fields so that the record can be stored
    anywhere and each caller held back raises an exception of its own."""

    failures: int
    failed_at: float
    retry_at: float
    error: str
    error_description: str
    status: int | None
    retryable: bool

    @classmethod
    def after(cls, previous: Failure | None, exc: WristbandError, now: float) -> Failure:
        """Return the failure ``exc`` at ``now``, one more in a row after ``previous``."""
        failures = min(previous.failures if previous is not None else 0, MAX_COUNTED_FAILURES)
        failures += 1
        return cls(
            failures=failures,
            failed_at=now,
            retry_at=now + backoff_seconds(failures),
            error=exc.error,
            error_description=exc.error_description,
            status=exc.status,
            retryable=exc.retryable,
        )

    @property
    def delay(self) -> float:
        """Return the wait this failure asks for, in seconds."""
        return backoff_seconds(self.failures)

    def _ends_at(self) -> float:
        """Return when this failure stops holding calls back.

        That is never past the maximum wait, whatever ``retry_at`` says, since a record read
        from a shared cache may say anything.
        """
        return min(self.retry_at, self.failed_at + MAX_BACKOFF_SECONDS)

    def holds_back(self, now: float) -> bool:
        """Return whether no call may be made at ``now``.

        A failure never holds calls back for more than the maximum wait after it, nor when
        it is dated in the future.
        """
        return self.failed_at <= now < self._ends_at()

    def as_error(self, now: float, message: str) -> WristbandError:
        """Return a new error of this failure's kind to raise at ``now`` while it holds calls back.

        It is a ``WristbandUnavailableError`` (answered 503, retry later) when the failure was
        an outage, else a ``WristbandError``. ``message`` is the error's description,
        formatted with ``left`` (the seconds left) and ``description`` (the failure's).
        """
        error_class = WristbandUnavailableError if self.retryable else WristbandError
        left = max(0.0, self._ends_at() - now)
        description = message.format(left=left, description=self.error_description)
        return error_class(self.error, description, status=self.status)


class FailureMemory:
    """The failures in a row of one kind of call to Wristband, remembered in this process.

    Thread-safe. ``clock`` is the time it reads, ``time.monotonic`` unless given (a test
    may give its own, as ``SimpleRateThrottle.timer`` lets it).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last: Failure | None = None

    @property
    def last(self) -> Failure | None:
        """Return the last failure since the last success, or ``None``."""
        return self._last

    def backing_off(self) -> bool:
        """Return whether the last failure holds calls back now."""
        last = self._last
        return last is not None and last.holds_back(self._clock())

    def raise_if_backing_off(self, message: str) -> None:
        """Raise the last failure's error while it holds calls back; return otherwise.

        ``Failure.as_error`` describes ``message``.
        """
        last, now = self._last, self._clock()
        if last is not None and last.holds_back(now):
            raise last.as_error(now, message)

    def record_failure(self, exc: WristbandError) -> float:
        """Remember the failed call ``exc``, one more in a row; return the wait in seconds."""
        with self._lock:
            self._last = Failure.after(self._last, exc, self._clock())
            return self._last.delay

    def record_success(self) -> None:
        """Forget every failure.

        The next call is made at once, and a failure after it waits the first wait again.
        """
        with self._lock:
            self._last = None
