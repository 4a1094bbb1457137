"""The one backoff schedule after failed calls to Wristband that are not retried at once
(auto-configuration, the JWKS, tenant custom domains, M2M tokens): 1 s, doubling with each
failure in a row, at most 60 s."""

from __future__ import annotations

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
#: Past this many failures the wait is the maximum (and 2 ** failures never overflows).
_DOUBLINGS = 32


def backoff_seconds(failures: int) -> float:
    """How long to wait after ``failures`` (1 or more) failures in a row."""
    doublings = min(max(failures - 1, 0), _DOUBLINGS)
    return min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2.0**doublings)
