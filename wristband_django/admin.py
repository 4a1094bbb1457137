"""The admin's view of live Wristband logins, with "End session" and the purge of dead rows."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from wristband_django import signals
from wristband_django.conf import get_config
from wristband_django.errors import StoreUnavailableError
from wristband_django.flows.end_session import end_session, purge_ended_sessions
from wristband_django.models import LoginSession
from wristband_django.store import login_records
from wristband_django.types import WristbandSession

__all__ = [
    "LoginSessionAdmin",
]

SHOWN = (
    "user_id",
    "email",
    "tenant_name",
    "tenant_id",
    "identity_provider",
    "created_at",
    "last_refreshed_at",
    "access_token_expires_at",
    "ip_address",
    "user_agent",
)
STORE_DOWN_MESSAGE = "The session store is unavailable; no session was ended. Try again shortly."


def end_login(request: HttpRequest, record: LoginSession) -> None:
    """End the row's session through the end-session flow (it waits for a refresh in
    flight, revokes the newest refresh token): that browser gets 401. Raises
    ``StoreUnavailableError`` when the store does not answer."""
    session_key = login_records.session_key_of(record)
    if session_key is not None:
        end_session(get_config(), session_key)
    LoginSession.objects.filter(pk=record.pk).delete()
    signals.session_ended_by_admin.send(
        WristbandSession, request=request, user_id=record.user_id, tenant_id=record.tenant_id
    )


@admin.register(LoginSession)
class LoginSessionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = SHOWN[:-1]
    list_filter = ("tenant_name", "identity_provider")
    search_fields = ("user_id", "email")
    fields = SHOWN
    readonly_fields = SHOWN
    actions = ("end_sessions", "purge_ended_sessions")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        """Refuse deletion, so there is no "Delete selected" action.

        Deleting a row would leave its session alive, unseen; "End session" ends the session
        and removes the row."""
        return False

    @admin.action(description="End session (revoke at Wristband, log that browser out)")
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[LoginSession]) -> None:
        try:
            ended = self._end_all(request, queryset)
        except StoreUnavailableError:
            self.message_user(request, STORE_DOWN_MESSAGE, messages.ERROR)
            return
        self.message_user(request, f"Ended {ended} session(s).", messages.SUCCESS)

    @admin.action(description="Purge rows whose session has ended (all, not just the selected)")
    def purge_ended_sessions(self, request: HttpRequest, queryset: QuerySet[LoginSession]) -> None:
        try:
            purged = purge_ended_sessions(get_config())
        except StoreUnavailableError:
            self.message_user(request, STORE_DOWN_MESSAGE, messages.ERROR)
            return
        self.message_user(request, f"Purged {purged} row(s) of ended sessions.", messages.SUCCESS)

    def _end_all(self, request: HttpRequest, queryset: QuerySet[LoginSession]) -> int:
        ended = 0
        for record in queryset:
            end_login(request, record)
            ended += 1
        return ended
