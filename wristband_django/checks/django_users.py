"""The checks of the optional Django users (``authenticate_django_user``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import global_settings, settings
from django.core.checks import CheckMessage, Error, Warning
from django.urls import Resolver404, resolve

from wristband_django.checks.base import (
    AUTH_MIDDLEWARE,
    AppConfigs,
    check_id,
    is_subclass_path,
    middleware_position,
    parsed_config,
)
from wristband_django.flows.django_login import BACKEND as WRISTBAND_BACKEND

LOGIN_REQUIRED_MIDDLEWARE = "django.contrib.auth.middleware.LoginRequiredMiddleware"


def check_django_user_integration(
    app_configs: AppConfigs = None, **kwargs: Any
) -> list[CheckMessage]:
    """Check what ``authenticate_django_user`` needs (E009/E010/W006/W008), and that
    ``LoginRequiredMiddleware`` does not go without it (W009)."""
    config = parsed_config()
    if config is None:
        return []
    if not getattr(config, "authenticate_django_user", False):
        if middleware_position(list(settings.MIDDLEWARE), LOGIN_REQUIRED_MIDDLEWARE) is None:
            return []
        return [
            Warning(
                "LoginRequiredMiddleware is in MIDDLEWARE but authenticate_django_user is "
                "False: a Wristband login logs no Django user in, so the middleware sends "
                "every logged-in user back to the login, again and again.",
                hint="Turn authenticate_django_user on (docs/django-auth.md), or remove the "
                "middleware and protect views with @wristband_required.",
                id=check_id("W009"),
            )
        ]
    if not apps.is_installed("django.contrib.auth"):
        return [
            Error(
                "authenticate_django_user is True but django.contrib.auth is not in "
                "INSTALLED_APPS.",
                hint="Add 'django.contrib.auth' and 'django.contrib.contenttypes' to "
                "INSTALLED_APPS, or turn authenticate_django_user off.",
                id=check_id("E009"),
            )
        ]
    messages: list[CheckMessage] = []
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", ()))
    if not any(is_subclass_path(path, WRISTBAND_BACKEND) for path in backends):
        messages.append(
            Error(
                "authenticate_django_user is True but WristbandBackend is not in "
                "AUTHENTICATION_BACKENDS.",
                hint=f"Add {WRISTBAND_BACKEND!r} to AUTHENTICATION_BACKENDS: Django logs the "
                "user in through it.",
                id=check_id("E010"),
            )
        )
    if middleware_position(list(settings.MIDDLEWARE), AUTH_MIDDLEWARE) is None:
        messages.append(
            Warning(
                "authenticate_django_user is True but AuthenticationMiddleware is not in "
                "MIDDLEWARE.",
                hint=f"Add {AUTH_MIDDLEWARE!r} after SessionMiddleware, or request.user is "
                "never set.",
                id=check_id("W006"),
            )
        )
    if login_url_is_unserved_default():
        messages.append(
            Warning(
                "authenticate_django_user is True but LOGIN_URL is Django's default, "
                f"{global_settings.LOGIN_URL!r}, which no view of this project serves.",
                hint='Set LOGIN_URL = "wristband:login": login_required and '
                "LoginRequiredMiddleware then send anonymous users to the Wristband login, "
                "and the login back to the page they asked for (its next parameter).",
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
