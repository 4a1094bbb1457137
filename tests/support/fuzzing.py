"""Hypothesis settings for the fuzz tests. The number of examples comes from the profile
tests/conftest.py loads: "ci" (the default, derandomised) or "thorough"."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

fuzz = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
