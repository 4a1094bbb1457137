"""Delete the admin rows of Wristband sessions the session store no longer has.

Run it where you run ``clearsessions`` (cron, a scheduler): expired sessions leave the
store silently, this removes their rows.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wristband_django.session_records import purge_stale


class Command(BaseCommand):
    help = "Delete the LoginSession rows whose session has ended (expired or flushed)."

    def handle(self, *args: Any, **options: Any) -> None:
        purged = purge_stale()
        self.stdout.write(f"Purged {purged} row(s) of ended Wristband sessions.")
