"""One row per Wristband login session, for the admin: who, which tenant, since when; no token."""

from __future__ import annotations

from django.db import models

__all__ = [
    "LoginSession",
]


class LoginSession(models.Model):
    """A live login. Kept true by login, refresh, logout and the purge of expired sessions."""

    session_key_hash = models.CharField(max_length=64, unique=True, editable=False)
    #: The session key, encrypted like the tokens: lets an admin end the session, shows nothing.
    session_key_sealed = models.TextField(editable=False)
    user_id = models.CharField("user id", max_length=255, db_index=True)
    email = models.CharField(max_length=254, blank=True)
    tenant_id = models.CharField("tenant id", max_length=255, db_index=True)
    tenant_name = models.CharField(max_length=255, blank=True)
    identity_provider = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField("logged in")
    last_refreshed_at = models.DateTimeField("last refreshed", null=True, blank=True)
    access_token_expires_at = models.DateTimeField("access token expires")
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "Wristband login session"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.email or self.user_id} @ {self.tenant_name or self.tenant_id}"
