"""Restart URLs without their sealed restart count, for tests that compare them exactly."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wristband_django.flows.login_restarts import PARAMETER


def without_restart(url: str) -> str:
    """``url`` without the ``restart`` parameter a login restart adds (its value is sealed,
    so it differs on every run); ``AssertionError`` if it has none."""
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(name, value) for name, value in params if name != PARAMETER]
    assert len(kept) == len(params) - 1, f"not a restart URL: {url}"
    return urlunsplit(parts._replace(query=urlencode(kept)))
