"""Django's session engines by name, in one place: the store, the flows, the checks and
``wristband_django.sessions`` ask which kind of store ``SESSION_ENGINE`` is."""

from __future__ import annotations

from typing import Final

CACHE_ENGINE: Final = "django.contrib.sessions.backends.cache"
CACHED_DB_ENGINE: Final = "django.contrib.sessions.backends.cached_db"
DB_ENGINE: Final = "django.contrib.sessions.backends.db"
#: The engine that keeps a session only in the browser's cookie: nothing server-side.
SIGNED_COOKIES_ENGINE: Final = "django.contrib.sessions.backends.signed_cookies"

#: The engines that read a session from a cache (cached_db falls back to the database).
CACHE_SESSION_ENGINES: Final = (CACHE_ENGINE, CACHED_DB_ENGINE)
#: The engines that need ``django.contrib.sessions`` installed (its table).
DB_SESSION_ENGINES: Final = (DB_ENGINE, CACHED_DB_ENGINE)
#: Django's engines that look a session up by its key, and mint keys of 32 characters from
#: [a-z0-9] (the database column holds 40). Custom engines keep their own rules.
KEYED_SESSION_ENGINES: Final = (CACHE_ENGINE, CACHED_DB_ENGINE, DB_ENGINE)
