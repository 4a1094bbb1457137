"""``manage.py wristband_end_sessions --user-id X | --tenant-id Y``: end every live Wristband
session of a user, of a tenant, or (both options) of that user in that tenant, and say how
many ended.

For offboarding: run it when a person leaves a customer or a customer leaves you, after
deactivating them in Wristband (which stops new logins). Each session ends as the admin's
"End session" ends one (``wristband_django.sessions.end_sessions``). Exits non-zero, saying
how many had ended, when the session store or the database stops answering; running it again
ends the rest.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wristband_django.conf import get_config
from wristband_django.flows.end_session import SessionsPartlyEndedError, end_sessions_of

__all__ = ["Command"]


class Command(BaseCommand):
    help = (
        "End every Wristband session of a user (--user-id), of a tenant (--tenant-id), or of "
        "that user in that tenant (both): revoke their refresh tokens, log those browsers out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user-id", help="The Wristband user id (the sub claim).")
        parser.add_argument("--tenant-id", help="The Wristband tenant id (the tnt_id claim).")

    def handle(self, *args: Any, **options: Any) -> None:
        user_id, tenant_id = options["user_id"], options["tenant_id"]
        if not user_id and not tenant_id:
            raise CommandError(_("Give --user-id, --tenant-id or both."))
        try:
            ended = end_sessions_of(get_config(), user_id=user_id, tenant_id=tenant_id)
        except SessionsPartlyEndedError as exc:
            message = ngettext(
                "The session store is unavailable (%(reason)s); %(count)d session had been "
                "ended. Run the command again to end the rest.",
                "The session store is unavailable (%(reason)s); %(count)d sessions had been "
                "ended. Run the command again to end the rest.",
                exc.ended,
            )
            raise CommandError(message % {"reason": exc.reason, "count": exc.ended}) from exc
        except (ImproperlyConfigured, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.ended_line(ended.count, user_id, tenant_id))
        if ended.not_revoked:
            message = ngettext(
                "Wristband was unavailable: %(count)d refresh token was not revoked and stays "
                "valid at Wristband until it expires.",
                "Wristband was unavailable: %(count)d refresh tokens were not revoked and stay "
                "valid at Wristband until they expire.",
                ended.not_revoked,
            )
            self.stderr.write(message % {"count": ended.not_revoked})

    def ended_line(self, count: int, user_id: str | None, tenant_id: str | None) -> str:
        """Return the line saying how many sessions of whom ended."""
        values = {"count": count, "user_id": user_id, "tenant_id": tenant_id}
        if user_id and tenant_id:
            message = ngettext(
                "Ended %(count)d session of user %(user_id)s in tenant %(tenant_id)s.",
                "Ended %(count)d sessions of user %(user_id)s in tenant %(tenant_id)s.",
                count,
            )
        elif user_id:
            message = ngettext(
                "Ended %(count)d session of user %(user_id)s.",
                "Ended %(count)d sessions of user %(user_id)s.",
                count,
            )
        else:
            message = ngettext(
                "Ended %(count)d session of tenant %(tenant_id)s.",
                "Ended %(count)d sessions of tenant %(tenant_id)s.",
                count,
            )
        return message % values
