"""The leftovers check: settings of Wristband's official package, wristband-django-auth, still
in a project that moved to this one (W010).

Each leftover is named with what replaces it here: its top-level Django settings
(``WRISTBAND_SESSION_SECRET``, ``WRISTBAND_AUTH_BACKEND_ADAPTER``, from
``conf.official_names``), its encrypted-cookie ``SESSION_ENGINE`` and its authentication
backend in ``AUTHENTICATION_BACKENDS``. A warning, not an error: a project may run both
packages for a while on purpose, and silence ``wristband_django.W010`` then. Messages are in
the active language, as the other checks'; names, paths and ``conf.official_names``' notes
are not translated.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.utils.translation import gettext as _

from wristband_django.checks.base import AppConfigs, check_id
from wristband_django.conf.docs_links import docs_url
from wristband_django.conf.official_names import (
    DJANGO_SETTING,
    OFFICIAL_NAMES,
    OFFICIAL_PACKAGE,
)
from wristband_django.flows.django_login import BACKEND as WRISTBAND_BACKEND

__all__ = [
    "OFFICIAL_MODULE",
    "check_official_settings",
]

#: Every dotted path of the official package starts with this (its engine, its backend).
OFFICIAL_MODULE = "wristband.django_auth."


def check_official_settings(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn about each setting of wristband-django-auth left in the settings (W010), naming
    its replacement."""
    messages: list[CheckMessage] = [
        _leftover(
            _("settings.%(name)s is %(package)s's setting; this app does not read it.")
            % {"name": entry.name, "package": OFFICIAL_PACKAGE},
            _hint(entry.key, entry.instead),
        )
        for entry in OFFICIAL_NAMES
        if entry.where == DJANGO_SETTING and hasattr(settings, entry.name)
    ]
    engine = str(getattr(settings, "SESSION_ENGINE", ""))
    if engine.startswith(OFFICIAL_MODULE):
        messages.append(
            _leftover(
                _("SESSION_ENGINE is %(package)s's encrypted-cookie engine (%(engine)r).")
                % {"package": OFFICIAL_PACKAGE, "engine": engine},
                _(
                    "Use a server-side engine: 'django.contrib.sessions.backends.cache' (or "
                    "cached_db, or db). The tokens would travel in the cookie, and logout could "
                    "not end a copied one. Existing sessions end: users log in once (%(url)s)."
                )
                % {"url": docs_url("migrating", "existing-sessions-what-your-users-see")},
            )
        )
    for path in getattr(settings, "AUTHENTICATION_BACKENDS", ()):
        if str(path).startswith(OFFICIAL_MODULE):
            messages.append(
                _leftover(
                    _("AUTHENTICATION_BACKENDS lists %(package)s's backend %(path)r.")
                    % {"package": OFFICIAL_PACKAGE, "path": path},
                    _(
                        'Replace it with %(backend)r and set "authenticate_django_user": True '
                        "in WRISTBAND_AUTH."
                    )
                    % {"backend": WRISTBAND_BACKEND},
                )
            )
    return messages


def _leftover(message: str, hint: str) -> Warning:
    """Return the W010 warning about a leftover of the official package."""
    return Warning(message, hint=hint, id=check_id("W010"))


def _hint(key: str | None, instead: str) -> str:
    """Return the hint for a leftover top-level setting: its replacement, or what to do."""
    if key is None:
        return _("Remove it: it has no equivalent here; %(instead)s (%(url)s).") % {
            "instead": instead,
            "url": docs_url("migrating", "every-official-setting"),
        }
    extra = f" ({instead})" if instead else ""
    return _('Use WRISTBAND_AUTH["%(key)s"]%(extra)s, then remove it (%(url)s).') % {
        "key": key,
        "extra": extra,
        "url": docs_url("migrating", "every-official-setting"),
    }
