"""The session store and cache checks: engines, their apps, the refresh lock's cache."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.translation import gettext as _

from wristband_django.checks.base import (
    AppConfigs,
    check_id,
    is_subclass_path,
    parsed_config,
)
from wristband_django.checks.rolling import check_session_rolling
from wristband_django.store.engines import (
    CACHE_SESSION_ENGINES,
    DB_SESSION_ENGINES,
    SIGNED_COOKIES_ENGINE,
)
from wristband_django.store.locations import lock_cache_alias

LOCMEM_BACKEND = "django.core.cache.backends.locmem.LocMemCache"


def check_sessions(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the session engine, its app, and the session cookie's SameSite (E007/W002/W004).

    Also check the rolling expiry against Django's session settings (E012/W007,
    ``checks.rolling``)."""
    messages: list[CheckMessage] = check_session_rolling()
    engine = settings.SESSION_ENGINE
    if engine in DB_SESSION_ENGINES and not apps.is_installed("django.contrib.sessions"):
        messages.append(
            Error(
                _(
                    "SESSION_ENGINE is '%(engine)s' but django.contrib.sessions is not in "
                    "INSTALLED_APPS."
                )
                % {"engine": engine},
                hint=_("Add 'django.contrib.sessions' to INSTALLED_APPS and run migrate."),
                id=check_id("E007"),
            )
        )
    if engine == SIGNED_COOKIES_ENGINE:
        messages.append(
            Warning(
                _(
                    "SESSION_ENGINE is signed_cookies: the Wristband tokens would travel in "
                    "the session cookie."
                ),
                hint=_(
                    "Cookies are limited to about 4 KB (three tokens plus userinfo may not "
                    "fit) and a cookie session cannot be revoked server-side (logout cannot "
                    "end a copied cookie). Use the cache, cached_db or db engine."
                ),
                id=check_id("W002"),
            )
        )
    if str(settings.SESSION_COOKIE_SAMESITE).lower() == "strict":
        messages.append(
            Warning(
                _("SESSION_COOKIE_SAMESITE is 'Strict'."),
                hint=_(
                    "The browser comes back from Wristband's login page cross-site, so the "
                    "first page after login (and any page reached by a link from another "
                    "site) would not get the session cookie and would look logged out until a "
                    "reload. Use 'Lax' (Django's default); CSRF protection does not depend on "
                    "it."
                ),
                id=check_id("W004"),
            )
        )
    return messages


def _is_locmem(alias: str) -> bool:
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    return isinstance(backend, str) and is_subclass_path(backend, LOCMEM_BACKEND)


def check_lock_cache_alias(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that ``lock_cache_alias`` names a cache ``CACHES`` defines (E008)."""
    config = parsed_config()
    alias = config.lock_cache_alias if config is not None else None
    if alias is None or alias in settings.CACHES:
        return []
    return [
        Error(
            _("lock_cache_alias is '%(alias)s', which is not in CACHES.") % {"alias": alias},
            hint=_("Define CACHES['%(alias)s'] (a cache all processes share) or remove the key.")
            % {"alias": alias},
            id=check_id("E008"),
        )
    ]


def _locmem_message(what: list[str]) -> str:
    """Return W003's message for a LocMem cache holding ``what`` ("sessions", "lock")."""
    if what == ["sessions"]:
        return _(
            "The cache '%(alias)s' holding the sessions is a LocMemCache, private to each process."
        )
    if what == ["lock"]:
        return _(
            "The cache '%(alias)s' holding the refresh lock is a LocMemCache, private to each "
            "process."
        )
    return _(
        "The cache '%(alias)s' holding the sessions and the refresh lock is a LocMemCache, "
        "private to each process."
    )


def check_shared_caches(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn of sessions or the refresh lock in a per-process LocMem cache (W003, deployment)."""
    config = parsed_config()
    uses: dict[str, list[str]] = {}
    cache_sessions = settings.SESSION_ENGINE in CACHE_SESSION_ENGINES
    if cache_sessions:
        uses.setdefault(settings.SESSION_CACHE_ALIAS, []).append("sessions")
    if config is not None:
        uses.setdefault(lock_cache_alias(config.lock_cache_alias), []).append("lock")
    return [
        Warning(
            _locmem_message(what) % {"alias": alias},
            hint=_(
                "With more than one process (gunicorn workers, several servers) the "
                "single-flight refresh does not hold (with refresh-token rotation, two "
                "processes refreshing at once get the session revoked), and cache sessions are "
                "not shared. Use Redis (django-redis or Django's RedisCache), Memcached or the "
                "database cache, or point lock_cache_alias at one."
            ),
            id=check_id("W003"),
        )
        for alias, what in uses.items()
        if _is_locmem(alias)
    ]
