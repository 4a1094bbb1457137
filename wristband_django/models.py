"""One row per Wristband login session, for the admin: who, which tenant, since when; no token.
And, with Django users, which Django user each Wristband user is."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

__all__ = [
    "LoginSession",
    "UserLink",
]


class LoginSession(models.Model):
    """A live login. Kept true by login, refresh, logout and the purge of expired sessions."""

    session_key_hash = models.CharField(max_length=64, unique=True, editable=False)
    #: The session key, encrypted like the tokens: lets an admin end the session, shows nothing.
    session_key_sealed = models.TextField(editable=False)
    user_id = models.CharField(_("user id"), max_length=255, db_index=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    tenant_id = models.CharField(_("tenant id"), max_length=255, db_index=True)
    tenant_name = models.CharField(_("tenant name"), max_length=255, blank=True)
    identity_provider = models.CharField(_("identity provider"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("logged in"))
    last_refreshed_at = models.DateTimeField(_("last refreshed"), null=True, blank=True)
    access_token_expires_at = models.DateTimeField(_("access token expires"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Wristband login session")
        verbose_name_plural = _("Wristband login sessions")
        ordering = ("-created_at",)
        indexes = (
            # The admin's changelist order (Django adds the primary key to make it total).
            models.Index(fields=("-created_at", "-id"), name="wristband_session_newest"),
            # The tenant filter: a tenant's newest rows, and its count, from the index alone.
            models.Index(
                fields=("tenant_id", "-created_at", "-id"), name="wristband_session_tenant"
            ),
            # The admin's search by whole email, in any case (``=email``: UPPER(email) = ...).
            models.Index(Upper("email"), name="wristband_session_email"),
        )

    def __str__(self) -> str:
        return f"{self.email or self.user_id} @ {self.tenant_name or self.tenant_id}"


class UserLink(models.Model):
    """The Django user a Wristband user logs in as (``authenticate_django_user``).

    The user adapter records it when it first finds, links or creates that user, so later
    logins and bearer tokens find the user by the Wristband user id, whatever its username
    or email. The Django user is named by its primary key, not a foreign key: this app needs
    no ``django.contrib.auth`` while Django users are off. A link whose user was deleted is
    replaced at that Wristband user's next login.
    """

    wristband_user_id = models.CharField(_("Wristband user id"), max_length=255, unique=True)
    user_pk = models.CharField(_("Django user's primary key"), max_length=255, db_index=True)
    #: How the link was made: ``"created"``, ``"username"`` or ``"verified_email"``.
    linked_by = models.CharField(_("linked by"), max_length=20)
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Wristband user link")
        verbose_name_plural = _("Wristband user links")

    def __str__(self) -> str:
        return f"{self.wristband_user_id} -> {self.user_pk}"
