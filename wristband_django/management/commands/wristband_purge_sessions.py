"""End what is left of Wristband sessions the session store no longer has, and remove their
admin rows.

Run it where you run ``clearsessions`` (cron, a scheduler): expired sessions leave the
store silently, this removes their rows.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wristband_django.conf import get_config
from wristband_django.errors import StoreUnavailableError
from wristband_django.flows.end_session import purge_ended_sessions


class Command(BaseCommand):
    help = "Delete the LoginSession rows whose session has ended (expired or flushed)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            purged = purge_ended_sessions(get_config())
        except StoreUnavailableError as exc:
            message = f"The session store is unavailable ({exc}); nothing more purged"
            raise CommandError(message) from exc
        self.stdout.write(f"Purged {purged} row(s) of ended Wristband sessions.")
