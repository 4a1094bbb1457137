"""The memory of failed calls to Wristband (auto-configuration, the JWKS, custom domains,
M2M tokens): a failure holds calls back 1 s, doubling with each failure in a row up to 60 s;
meanwhile the caller gets an error of the failure's kind at once (an outage stays a 503),
and a success forgets it all."""

from __future__ import annotations

import threading

import pytest

from wristband_django.errors import WristbandError, WristbandUnavailableError
from wristband_django.wristband.backoff import Failure, FailureMemory

MESSAGE = "the call failed recently ({left:.0f} s left): {description}"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def outage() -> WristbandUnavailableError:
    return WristbandUnavailableError("server_error", "Wristband answered 500", status=500)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def memory(clock: Clock) -> FailureMemory:
    return FailureMemory(clock=clock)


def test_nothing_is_held_back_before_a_failure(memory: FailureMemory) -> None:
    memory.raise_if_backing_off(MESSAGE)
    assert not memory.backing_off()


def test_a_failure_holds_calls_back_one_second(memory: FailureMemory, clock: Clock) -> None:
    assert memory.record_failure(outage()) == 1
    clock.now += 0.99
    with pytest.raises(WristbandUnavailableError):
        memory.raise_if_backing_off(MESSAGE)
    clock.now += 0.01
    memory.raise_if_backing_off(MESSAGE)  # the call may be made again
    assert not memory.backing_off()


def test_the_wait_doubles_with_each_failure_in_a_row_up_to_a_minute(
    memory: FailureMemory, clock: Clock
) -> None:
    waits = []
    for _ in range(9):
        waits.append(memory.record_failure(outage()))
        clock.now += waits[-1] - 0.01
        assert memory.backing_off()
        clock.now += 0.01
        assert not memory.backing_off()
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_an_outage_stays_a_503_while_backing_off(memory: FailureMemory, clock: Clock) -> None:
    memory.record_failure(outage())
    clock.now += 0.4
    with pytest.raises(WristbandUnavailableError) as held_back:
        memory.raise_if_backing_off(MESSAGE)
    error = held_back.value
    assert error.retryable and error.status_code == 503
    assert (error.error, error.status) == ("server_error", 500)
    assert error.error_description == "the call failed recently (1 s left): Wristband answered 500"


def test_a_refusal_stays_a_refusal_while_backing_off(memory: FailureMemory) -> None:
    memory.record_failure(WristbandError("invalid_client", "bad credentials", status=401))
    with pytest.raises(WristbandError) as held_back:
        memory.raise_if_backing_off(MESSAGE)
    assert not isinstance(held_back.value, WristbandUnavailableError)
    assert not held_back.value.retryable
    assert (held_back.value.error, held_back.value.status) == ("invalid_client", 401)


def test_each_caller_held_back_gets_an_error_of_its_own(memory: FailureMemory) -> None:
    memory.record_failure(outage())
    raised = []
    for _ in range(2):
        with pytest.raises(WristbandUnavailableError) as held_back:
            memory.raise_if_backing_off(MESSAGE)
        raised.append(held_back.value)
    assert raised[0] is not raised[1]


def test_a_success_forgets_the_failures(memory: FailureMemory, clock: Clock) -> None:
    for _ in range(5):
        memory.record_failure(outage())
    memory.record_success()
    assert memory.last is None
    memory.raise_if_backing_off(MESSAGE)
    assert memory.record_failure(outage()) == 1  # the first wait again


def test_failures_recorded_at_once_by_many_threads_all_count(memory: FailureMemory) -> None:
    waits: list[float] = []
    start = threading.Barrier(8)

    def fail() -> None:
        start.wait()
        waits.append(memory.record_failure(outage()))

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [1, 2, 4, 8, 16, 32, 60, 60]


@pytest.mark.parametrize(
    ("failed_at", "retry_at", "holds_back"),
    [
        pytest.param(-59.0, 1e9, True, id="failed 59 s ago, retry in 31 years"),
        pytest.param(-61.0, 1e9, False, id="failed 61 s ago, retry in 31 years"),
        pytest.param(1e9, 2e9, False, id="failed in the future"),
        pytest.param(-2.0, -1.0, False, id="retry time passed"),
    ],
)
def test_a_stored_failure_never_holds_back_longer_than_a_minute(
    failed_at: float, retry_at: float, holds_back: bool
) -> None:
    """A failure read from a cache other processes share may say anything."""
    now = 1_700_000_000.0
    stored = Failure(3, now + failed_at, now + retry_at, "server_error", "", 500, True)
    assert stored.holds_back(now) is holds_back
