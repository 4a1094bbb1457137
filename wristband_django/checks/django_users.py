"""The checks of the optional Django users (``authenticate_django_user``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from wristband_django.checks.base import (
    AUTH_MIDDLEWARE,
    AppConfigs,
    check_id,
    is_subclass_path,
    middleware_position,
    parsed_config,
)
from wristband_django.flows.django_login import BACKEND as WRISTBAND_BACKEND


def check_django_user_integration(
    app_configs: AppConfigs = None, **kwargs: Any
) -> list[CheckMessage]:
    """Check what ``authenticate_django_user`` needs (E009/E010/W006)."""
    config = parsed_config()
    if config is None or not getattr(config, "authenticate_django_user", False):
        return []
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
    return messages
