"""``WristbandBackend``: add ``"wristband_django.backends.WristbandBackend"`` to
``AUTHENTICATION_BACKENDS`` together with ``authenticate_django_user``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from wristband_django.types import WristbandSession
from wristband_django.user_adapter import get_user_adapter

__all__ = [
    "WristbandBackend",
]


class WristbandBackend(BaseBackend):
    """Authenticates the user of a validated Wristband session (never a password)."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        wristband_session: WristbandSession | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if wristband_session is None:
            return None
        user = get_user_adapter().get_or_create_user(wristband_session)
        if user is None:  # the adapter refused (no user, and it may make none; an ambiguous email)
            return None
        return user if getattr(user, "is_active", True) else None

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:  # type: ignore[override]
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if getattr(user, "is_active", True) else None
