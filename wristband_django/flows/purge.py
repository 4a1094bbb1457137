"""The purge of dead ``LoginSession`` rows: what is left of every session whose Wristband
entry the store no longer has (expired, or flushed elsewhere) ends, and its row goes.

Rows are read ``batch_size`` at a time in primary-key order, up to the last row there was
when the purge began, and each batch's dead rows leave in one ``DELETE`` that is its own
transaction: a purge of a million rows never holds a lock for longer than one batch, and a
purge stopped midway has kept what it did.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from wristband_django.conf import AuthConfig
from wristband_django.flows.end_session import end_in_store, has_entry, revoke
from wristband_django.store import login_records

__all__ = [
    "BATCH_SIZE",
    "PurgeProgress",
    "purge_ended_sessions",
]

#: Rows read, and at most deleted, per batch.
BATCH_SIZE: Final = 1000


@dataclass(frozen=True)
class PurgeProgress:
    """Where a purge is: ``checked`` rows read, ``purged`` of them removed, in ``seconds``."""

    checked: int
    purged: int
    seconds: float

    @property
    def rate(self) -> float:
        """Rows checked per second."""
        return self.checked / self.seconds if self.seconds > 0 else 0.0


def purge_ended_sessions(
    config: AuthConfig,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[PurgeProgress], None] | None = None,
) -> int:
    """End what is left of every session whose Wristband entry the store no longer has, and
    remove its admin row; return how many rows were removed.

    ``progress`` is called after each batch. Raises ``StoreUnavailableError`` when the store
    does not answer, after removing the rows of the sessions it had ended by then; a
    ``DatabaseError`` goes up."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.monotonic()
    checked = purged = after_pk = 0
    up_to_pk = login_records.last_pk()  # the rows of now: the purge always ends
    while True:
        rows = login_records.rows_of(
            user_id=None, tenant_id=None, after_pk=after_pk, up_to_pk=up_to_pk, limit=batch_size
        )
        dead: list[int] = []
        try:
            for record, session_key in rows:
                if session_key is None or _end_if_gone(config, session_key):
                    dead.append(record.pk)
        finally:
            login_records.delete_rows(dead)  # also when the store stopped answering midway
        checked += len(rows)
        purged += len(dead)
        if rows:
            after_pk = rows[-1][0].pk
        if progress is not None:
            progress(PurgeProgress(checked, purged, time.monotonic() - started))
        if len(rows) < batch_size:
            return purged


def _end_if_gone(config: AuthConfig, session_key: str) -> bool:
    """End what is left of the session (its lock, its newest-tokens record) if the store no
    longer holds its entry, keeping the row for the batch's delete; return whether it had
    gone. A session key no current key opens was handled by the caller."""
    if has_entry(session_key):
        return False
    entry = end_in_store(config, session_key, keep_row=True)
    if entry is not None:  # it came back meanwhile (a refresh in flight): it has ended now
        revoke(config, entry.refresh_token)
    return True
