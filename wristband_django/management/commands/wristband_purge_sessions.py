"""End what is left of Wristband sessions the session store no longer has, and remove their
admin rows.

Run it where you run ``clearsessions`` (cron, a scheduler): expired sessions leave the
store silently, this removes their rows. It works in batches of primary keys, each batch's
rows deleted in a transaction of its own, so a million rows never hold a long lock; it ends
with the rate, and ``--verbosity 2`` prints a progress line every ``PROGRESS_EVERY`` rows.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wristband_django.conf import get_config
from wristband_django.errors import StoreUnavailableError
from wristband_django.flows.purge import BATCH_SIZE, PurgeProgress, purge_ended_sessions

#: Rows checked between two progress lines (``--verbosity 2``).
PROGRESS_EVERY = 100_000


class Command(BaseCommand):
    help = "Delete the LoginSession rows whose session has ended (expired or flushed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"rows read and deleted per transaction (default {BATCH_SIZE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        last: list[PurgeProgress] = []
        verbose = options["verbosity"] >= 2

        def report(progress: PurgeProgress) -> None:
            shown = last[-1].checked // PROGRESS_EVERY if last else 0
            last[:] = [progress]
            if verbose and progress.checked // PROGRESS_EVERY > shown:
                self.stdout.write(self._line(progress))

        try:
            purged = purge_ended_sessions(
                get_config(), batch_size=options["batch_size"], progress=report
            )
        except StoreUnavailableError as exc:
            message = f"The session store is unavailable ({exc}); nothing more purged"
            raise CommandError(message) from exc
        done = last[-1] if last else PurgeProgress(0, 0, 0.0)
        self.stdout.write(
            f"Purged {purged} row(s) of ended Wristband sessions "
            f"({done.checked} checked in {done.seconds:.1f} s, {done.rate:.0f} rows/s)."
        )

    @staticmethod
    def _line(progress: PurgeProgress) -> str:
        return (
            f"Checked {progress.checked} row(s), purged {progress.purged}, "
            f"{progress.seconds:.1f} s, {progress.rate:.0f} rows/s"
        )
