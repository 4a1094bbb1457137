"""The admin's view of live Wristband logins, with "End session" and the purge of dead rows."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from wristband_django import latest_tokens, session_data, session_records, signals
from wristband_django.conf import get_config
from wristband_django.flows.logout import revoke_quietly
from wristband_django.models import LoginSession

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


def end_session(request: HttpRequest, record: LoginSession) -> None:
    """Revoke the refresh token at Wristband and delete the session: that browser gets 401."""
    session_key = session_records.session_key_of(record)
    if session_key is not None:
        store = session_records.session_store(session_key)
        entry = session_data.load(store)
        if entry is not None:
            entry = latest_tokens.newest(session_key, entry)
            revoke_quietly(get_config(), entry.refresh_token)
        store.delete(session_key)
        latest_tokens.forget(session_key)
    record.delete()
    signals.session_ended_by_admin.send(
        LoginSession, request=request, user_id=record.user_id, tenant_id=record.tenant_id
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

    @admin.action(description="End session (revoke at Wristband, log that browser out)")
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[LoginSession]) -> None:
        ended = 0
        for record in queryset:
            end_session(request, record)
            ended += 1
        self.message_user(request, f"Ended {ended} session(s).", messages.SUCCESS)

    @admin.action(description="Purge rows whose session has ended (all, not just the selected)")
    def purge_ended_sessions(self, request: HttpRequest, queryset: QuerySet[LoginSession]) -> None:
        purged = session_records.purge_stale()
        self.message_user(request, f"Purged {purged} row(s) of ended sessions.", messages.SUCCESS)
