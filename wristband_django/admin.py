"""The admin's view of live Wristband logins, with "End session", "End all sessions" of the
selected rows' users or tenants, and the purge of dead rows; and ``AdminLoginView``, the
admin's login through Wristband (docs/django-auth.md)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from wristband_django import signals
from wristband_django.conf import get_config
from wristband_django.conf.docs_links import docs_url
from wristband_django.errors import StoreUnavailableError
from wristband_django.flows.end_session import (
    SessionsPartlyEndedError,
    end_session,
    end_sessions_of,
)
from wristband_django.flows.purge import purge_ended_sessions
from wristband_django.models import LoginSession
from wristband_django.store import login_records
from wristband_django.types import WristbandSession
from wristband_django.web.admin_changelist import (
    EstimatedCountPaginator,
    IdentityProviderFilter,
    TenantFilter,
)
from wristband_django.web.login_not_required import LoginNotRequiredMixin

__all__ = [
    "AdminLoginView",
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
STORE_DOWN_MESSAGE = _("The session store is unavailable; no session was ended. Try again shortly.")
#: The users or tenants the confirmation of "End all sessions" names, at most.
SHOWN_SCOPES = 50


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
    # Fast at a million rows (docs/deployment.md, "Sessions in the admin"): choices from the
    # newest logins, a whole email in any case or a whole user id (both indexed), no
    # full count of every row.
    list_filter = (TenantFilter, IdentityProviderFilter)
    search_fields = ("=email", "user_id__exact")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50  # rendering 100 rows of 9 columns alone took about 150 ms
    fields = SHOWN
    readonly_fields = SHOWN
    actions = ("end_sessions", "end_users_sessions", "end_tenants_sessions", "purge_ended_sessions")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        """Refuse deletion, so there is no "Delete selected" action.

        Deleting a row would leave its session alive, unseen; "End session" ends the session
        and removes the row."""
        return False

    @admin.action(description=_("End session (revoke at Wristband, log that browser out)"))
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[LoginSession]) -> None:
        try:
            ended = self._end_all(request, queryset)
        except StoreUnavailableError:
            self.message_user(request, STORE_DOWN_MESSAGE, messages.ERROR)
            return
        message = ngettext("Ended %(count)d session.", "Ended %(count)d sessions.", ended)
        self.message_user(request, message % {"count": ended}, messages.SUCCESS)

    @admin.action(description=_("End all sessions of the selected rows' users"))
    def end_users_sessions(
        self, request: HttpRequest, queryset: QuerySet[LoginSession]
    ) -> TemplateResponse | None:
        return self._end_every_session_of(request, queryset, "user_id")

    @admin.action(description=_("End all sessions of the selected rows' tenants"))
    def end_tenants_sessions(
        self, request: HttpRequest, queryset: QuerySet[LoginSession]
    ) -> TemplateResponse | None:
        return self._end_every_session_of(request, queryset, "tenant_id")

    def _end_every_session_of(
        self, request: HttpRequest, queryset: QuerySet[LoginSession], field: str
    ) -> TemplateResponse | None:
        """Ask first (Django's confirmation page); once confirmed, end every session of each
        user (``field`` ``user_id``) or tenant (``tenant_id``) of the selected rows."""
        if request.POST.get("post") != "yes":
            return self._confirm_ending(request, queryset, field)
        scope_ids = sorted(set(queryset.order_by().values_list(field, flat=True)))
        ended = 0
        try:
            for scope_id in scope_ids:
                user_id, tenant_id = (scope_id, None) if field == "user_id" else (None, scope_id)
                ended += end_sessions_of(
                    get_config(),
                    user_id=user_id,
                    tenant_id=tenant_id,
                    request=request,
                    by_admin=True,
                ).count
        except SessionsPartlyEndedError as exc:
            message = ngettext(
                "The session store became unavailable after %(count)d session was ended. "
                "Try again shortly to end the rest.",
                "The session store became unavailable after %(count)d sessions were ended. "
                "Try again shortly to end the rest.",
                ended + exc.ended,
            )
            self.message_user(request, message % {"count": ended + exc.ended}, messages.ERROR)
            return None
        message = ngettext("Ended %(count)d session.", "Ended %(count)d sessions.", ended)
        self.message_user(request, message % {"count": ended}, messages.SUCCESS)
        return None

    def _confirm_ending(
        self, request: HttpRequest, queryset: QuerySet[LoginSession], field: str
    ) -> TemplateResponse:
        """Django's confirmation page: whose sessions end, and how many are live now."""
        users = field == "user_id"
        rows = LoginSession.objects.filter(**{f"{field}__in": queryset.order_by().values(field)})
        scopes = (
            rows.order_by(field)
            .values(field)
            .annotate(label=Max("email" if users else "tenant_name"), sessions=Count("pk"))
        )
        shown = [
            {"id": scope[field], "label": scope["label"], "sessions": scope["sessions"]}
            for scope in scopes[:SHOWN_SCOPES]
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("End all sessions of users") if users else _("End all sessions of tenants"),
            "question": (
                _("End every session of these users?")
                if users
                else _("End every session of these tenants?")
            ),
            "scopes": shown,
            "more": max(scopes.count() - len(shown), 0),
            "sessions": rows.count(),
            "action": "end_users_sessions" if users else "end_tenants_sessions",
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "wristband_django/admin_end_sessions.html", context)

    @admin.action(description=_("Purge rows whose session has ended (all, not just the selected)"))
    def purge_ended_sessions(self, request: HttpRequest, queryset: QuerySet[LoginSession]) -> None:
        try:
            purged = purge_ended_sessions(get_config())
        except StoreUnavailableError:
            self.message_user(request, STORE_DOWN_MESSAGE, messages.ERROR)
            return
        message = ngettext(
            "Purged %(count)d row of ended sessions.", "Purged %(count)d rows of ended sessions.",
            purged,
        )  # fmt: skip
        self.message_user(request, message % {"count": purged}, messages.SUCCESS)

    def _end_all(self, request: HttpRequest, queryset: QuerySet[LoginSession]) -> int:
        ended = 0
        for record in queryset:
            end_login(request, record)
            ended += 1
        return ended


#: What the view answers when ``authenticate_django_user`` is off.
NEEDS_DJANGO_USERS = (
    "AdminLoginView needs authenticate_django_user: without it a Wristband login logs no "
    "Django user in, and the admin would send the user back to the login again and again. "
    f"Turn it on ({docs_url('django-auth', 'the-admin-behind-wristband')}), or remove "
    "AdminLoginView from the URLconf."
)


@method_decorator(never_cache, name="dispatch")
class AdminLoginView(LoginNotRequiredMixin):
    """Replaces the admin's username and password form with the Wristband login.

    An anonymous user is sent to the Login endpoint, with ``next`` (the page of the admin
    asked for, else its index); a user the admin site accepts (active and staff, by
    default) is sent on to ``next``; any other logged-in user gets a 403 page saying who
    they are signed in as, that this account has no access to the admin, with a logout
    button and a link back to the site. It needs ``authenticate_django_user``.
    """

    http_method_names = ["get", "head", "options"]
    #: The admin site whose login this is (``as_view(admin_site=...)`` for another one).
    admin_site: admin.AdminSite = admin.site
    #: Where an anonymous user logs in (a URL name or a path, as ``LOGIN_URL``).
    login_url = "wristband:login"
    redirect_field_name = REDIRECT_FIELD_NAME
    template_name = "wristband_django/admin_refused.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Refuse to run without ``authenticate_django_user`` (``ImproperlyConfigured``)."""
        if not get_config().authenticate_django_user:
            raise ImproperlyConfigured(NEEDS_DJANGO_USERS)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        """Send an anonymous user to log in, a user the admin accepts on to ``next``, and
        answer anyone else with the 403 page."""
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(
                self.get_success_url(), resolve_url(self.login_url), self.redirect_field_name
            )
        if self.admin_site.has_permission(request):
            return HttpResponseRedirect(self.get_success_url())
        return render(request, self.template_name, self.get_refused_context(), status=403)

    def get_success_url(self) -> str:
        """Return the ``next`` parameter if it stays on this site, else the admin's index."""
        requested = self.request.GET.get(self.redirect_field_name, "")
        if requested and url_has_allowed_host_and_scheme(
            requested,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return requested
        return reverse("admin:index", current_app=self.admin_site.name)

    def get_refused_context(self) -> dict[str, Any]:
        """Return the 403 page's context: who the user is signed in as (their email, else
        their username), and where the link back to the site leads (``default_return_url``)."""
        user: Any = self.request.user
        email = getattr(user, user.get_email_field_name(), "") or ""
        return {
            "signed_in_as": email or user.get_username(),
            "return_url": get_config().default_return_url,
        }
