"""The checks of the optional Django users (``authenticate_django_user``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import global_settings, settings
from django.core.checks import CheckMessage, Error, Warning
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from wristband_django.checks.base import (
    AUTH_MIDDLEWARE,
    AppConfigs,
    check_id,
    is_subclass_path,
    middleware_position,
    parsed_config,
)
from wristband_django.conf.docs_links import docs_url
from wristband_django.flows.django_login import BACKEND as WRISTBAND_BACKEND

LOGIN_REQUIRED_MIDDLEWARE = "django.contrib.auth.middleware.LoginRequiredMiddleware"
ADMIN_LOGIN_VIEW = "wristband_django.admin.AdminLoginView"
#: The settings that need django.contrib.auth.
DJANGO_USER_KEYS = ("authenticate_django_user", "bearer_django_user")


def check_django_user_integration(
    app_configs: AppConfigs = None, **kwargs: Any
) -> list[CheckMessage]:
    """Check what ``authenticate_django_user`` needs (E009/E010/W006/W008), and that
    ``LoginRequiredMiddleware`` (W009) and ``AdminLoginView`` (W011) do not go without it."""
    config = parsed_config()
    if config is None:
        return []
    wanted = [key for key in DJANGO_USER_KEYS if getattr(config, key, False)]
    if wanted and not apps.is_installed("django.contrib.auth"):
        return [
            Error(
                _("%(keys)s is True but django.contrib.auth is not in INSTALLED_APPS.")
                % {"keys": " and ".join(wanted)},
                hint=_(
                    "Add 'django.contrib.auth' and 'django.contrib.contenttypes' to "
                    "INSTALLED_APPS, or turn %(keys)s off."
                )
                % {"keys": " and ".join(wanted)},
                id=check_id("E009"),
            )
        ]
    if not getattr(config, "authenticate_django_user", False):
        admin_login = admin_login_without_django_users()
        # Without django.contrib.auth the middleware cannot be used (nor imported to compare).
        if not apps.is_installed("django.contrib.auth") or (
            middleware_position(list(settings.MIDDLEWARE), LOGIN_REQUIRED_MIDDLEWARE) is None
        ):
            return admin_login
        return [
            *admin_login,
            Warning(
                _(
                    "LoginRequiredMiddleware is in MIDDLEWARE but authenticate_django_user is "
                    "False: a Wristband login logs no Django user in, so the middleware sends "
                    "every logged-in user back to the login, again and again."
                ),
                hint=_(
                    "Turn authenticate_django_user on (%(url)s), or remove the middleware and "
                    "protect views with @wristband_required."
                )
                % {"url": docs_url("django-auth")},
                id=check_id("W009"),
            ),
        ]
    messages: list[CheckMessage] = []
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", ()))
    if not any(is_subclass_path(path, WRISTBAND_BACKEND) for path in backends):
        messages.append(
            Error(
                _(
                    "authenticate_django_user is True but WristbandBackend is not in "
                    "AUTHENTICATION_BACKENDS."
                ),
                hint=_(
                    "Add '%(backend)s' to AUTHENTICATION_BACKENDS: Django logs the user in "
                    "through it."
                )
                % {"backend": WRISTBAND_BACKEND},
                id=check_id("E010"),
            )
        )
    if middleware_position(list(settings.MIDDLEWARE), AUTH_MIDDLEWARE) is None:
        messages.append(
            Warning(
                _(
                    "authenticate_django_user is True but AuthenticationMiddleware is not in "
                    "MIDDLEWARE."
                ),
                hint=_(
                    "Add '%(middleware)s' after SessionMiddleware, or request.user is never set."
                )
                % {"middleware": AUTH_MIDDLEWARE},
                id=check_id("W006"),
            )
        )
    if login_url_is_unserved_default():
        messages.append(
            Warning(
                _(
                    "authenticate_django_user is True but LOGIN_URL is Django's default, "
                    "'%(login_url)s', which no view of this project serves."
                )
                % {"login_url": global_settings.LOGIN_URL},
                hint=_(
                    'Set LOGIN_URL = "wristband:login": login_required and '
                    "LoginRequiredMiddleware then send anonymous users to the Wristband login, "
                    "and the login back to the page they asked for (its next parameter)."
                ),
                id=check_id("W008"),
            )
        )
    return messages


def login_url_is_unserved_default() -> bool:
    """Return whether ``settings.LOGIN_URL`` is Django's default and resolves to no view.

    ``login_required`` would then send users to a 404. A project that serves the default
    path (its own login view, django-allauth's...) is left alone."""
    login_url = getattr(settings, "LOGIN_URL", None)
    if login_url != global_settings.LOGIN_URL or not getattr(settings, "ROOT_URLCONF", None):
        return False
    try:
        resolve(login_url)
    except Resolver404:
        return True
    return False


def admin_login_without_django_users() -> list[CheckMessage]:
    """Warn (W011) when ``AdminLoginView`` serves the admin's login: it needs
    ``authenticate_django_user``, which the caller found off."""
    if not apps.is_installed("django.contrib.admin") or not getattr(settings, "ROOT_URLCONF", None):
        return []
    try:
        path = reverse("admin:login")
        view_class = getattr(resolve(path).func, "view_class", None)
    except (NoReverseMatch, Resolver404):
        return []
    admin_login_view = import_string(ADMIN_LOGIN_VIEW)  # as the backend: by its path
    if not (isinstance(view_class, type) and issubclass(view_class, admin_login_view)):
        return []
    return [
        Warning(
            _(
                "AdminLoginView serves the admin's login (%(path)s) but authenticate_django_user "
                "is False: a Wristband login logs no Django user in, so the view refuses to run."
            )
            % {"path": path},
            hint=_(
                "Turn authenticate_django_user on (%(url)s), or remove AdminLoginView from the "
                "URLconf."
            )
            % {"url": docs_url("django-auth", "the-admin-behind-wristband")},
            id=check_id("W011"),
        )
    ]
