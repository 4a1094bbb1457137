"""The rolling-session checks: ``session_rolling_interval`` against Django's session settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.translation import gettext as _

from wristband_django.checks.base import AppConfigs, check_id, parsed_config


def check_session_rolling(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Check ``session_rolling_interval`` against Django's session settings.

    E012: it is not shorter than ``SESSION_COOKIE_AGE``. W007: it is set while
    ``SESSION_SAVE_EVERY_REQUEST`` is True."""
    config = parsed_config()
    interval = config.session_rolling_interval if config is not None else None
    if interval is None:
        return []
    messages: list[CheckMessage] = []
    age = settings.SESSION_COOKIE_AGE
    if interval >= age:
        messages.append(
            Error(
                _(
                    "session_rolling_interval is %(interval)s s, not shorter than "
                    "SESSION_COOKIE_AGE (%(age)s s)."
                )
                % {"interval": interval, "age": age},
                hint=_(
                    "A session would expire before its expiry is renewed. Set "
                    "session_rolling_interval well below SESSION_COOKIE_AGE (a few minutes, or "
                    "a small fraction of the session's lifetime), or remove it."
                ),
                id=check_id("E012"),
            )
        )
    if settings.SESSION_SAVE_EVERY_REQUEST:
        messages.append(
            Warning(
                _(
                    "session_rolling_interval is set while SESSION_SAVE_EVERY_REQUEST is True: "
                    "it has no effect."
                ),
                hint=_(
                    "SESSION_SAVE_EVERY_REQUEST writes every session to the store and sends "
                    "its cookie again after every request. Set it to False to renew Wristband "
                    "sessions once per session_rolling_interval instead, or remove "
                    "session_rolling_interval."
                ),
                id=check_id("W007"),
            )
        )
    return messages
