"""The backoff after failed calls to Wristband (auto-configuration, JWKS, custom domains, M2M
tokens): 1 s doubling to 60 s, and still 60 s however long the outage lasts (a count of
failures past 1,024 used to overflow ``2 ** failures`` into an error)."""

from __future__ import annotations

from wristband_django.wristband.backoff import backoff_seconds


def test_the_wait_doubles_from_one_second_to_a_minute() -> None:
    assert [backoff_seconds(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_day_long_outage_still_waits_a_minute() -> None:
    # One failure a minute for a day is 1,440 failures; a year of them, half a million.
    assert backoff_seconds(1_440) == backoff_seconds(525_600) == 60
