"""The timeouts of a call to your API through ``contrib.outbound``, when its caller set none.

They are ``WRISTBAND_AUTH``'s for calls to Wristband: ``connect_timeout`` to connect and
``read_timeout`` for each read (and each write). Inside ``wristband_django.deadlines.deadline()``
no timeout is longer than the time left (``requests_auth.api_session()`` bounds every byte
of the call by it, as for calls to Wristband).
"""

from __future__ import annotations

from wristband_django.conf import get_config
from wristband_django.deadlines import remaining

__all__ = ["default_timeouts", "within_deadline"]


def default_timeouts() -> tuple[float, float]:
    """Return ``(connect, read)`` seconds: ``connect_timeout`` and ``read_timeout``."""
    config = get_config()
    return config.connect_timeout, config.read_timeout


def within_deadline(seconds: float | None) -> float | None:
    """Return ``seconds`` cut to the time left on the current deadline, if there is one.

    A deadline that has passed leaves a tiny positive timeout (the call then times out),
    never 0 or less, which libraries read as no timeout or refuse."""
    left = remaining()
    if left is None:
        return seconds
    left = max(left, 0.001)
    return left if seconds is None else min(seconds, left)
