"""Sessions whose refresh found Wristband unavailable a moment ago, kept beside them in the
lock cache (``keep_session_when_wristband_unavailable``).

Until the back-off ends, the session's refresh answers "unavailable" at once instead of
calling Wristband again: requests that queued for the lock behind the failed refresh do not
each wait out another round of retries, and an outage does not turn every request of every
session into more calls to Wristband.
"""

from __future__ import annotations

import math
import time

from wristband_django.store.locks import lock_cache, record_cache_key


def _key(session_key: str) -> str:
    return record_cache_key("refresh-backoff", session_key)


def back_off(session_key: str, seconds: float) -> None:
    """Hold off refreshes of this session for ``seconds`` (wall clock: shared by processes)."""
    until = time.time() + seconds
    lock_cache().set(_key(session_key), until, timeout=math.ceil(seconds))


def is_backing_off(session_key: str) -> bool:
    until = lock_cache().get(_key(session_key))
    return isinstance(until, float) and time.time() < until
