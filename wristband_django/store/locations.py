"""Which stores the sessions and the refresh lock live in, in words an operator can act on, and
whether each answers.

``manage.py wristband_check`` pings them; in DEBUG the ``session_store_unavailable`` error
page names them. A cache's ``LOCATION`` (or a database's host) may carry a password
(``redis://:secret@host``): it is only ever shown redacted, as ``redis://***@host``.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Literal

from django.apps import apps
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.utils.translation import gettext

from wristband_django.conf import get_config
from wristband_django.errors import StoreUnavailableError
from wristband_django.store.engines import CACHE_SESSION_ENGINES, DB_SESSION_ENGINES

#: How long a ping may take before the store counts as not answering.
PING_SECONDS = 10.0
#: The characters of a failure's own words that a ping's answer keeps.
MAX_REASON_LENGTH = 200
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_USERINFO = re.compile(r"(?<=//)[^\s/]*@")  # ``user:password@`` after a scheme, in any text
_PASSWORD_PARAMETER = re.compile(r"(?i)\b(password|passwd|pwd)=[^&\s]*")

Kind = Literal["cache", "database"]


def redact(text: str) -> str:
    """Return ``text`` (a ``LOCATION``, or an error's words) with every password it may hold
    replaced by ``***``: ``redis://:secret@host`` gives ``redis://***@host``, and
    ``?password=secret`` gives ``?password=***``.

    A ``LOCATION`` (text without spaces) is redacted from its scheme, if any, to its last
    ``@``, as a password may hold ``/`` or ``@``; in words, each ``//user:password@``."""
    if not any(character.isspace() for character in text):
        scheme = _SCHEME.match(text)
        start = scheme.end() if scheme is not None else 0
        at = text.rfind("@", start)
        if at >= 0:
            text = f"{text[:start]}***@{text[at + 1 :]}"
    else:
        text = _USERINFO.sub("***@", text)
    return _PASSWORD_PARAMETER.sub(lambda match: f"{match.group(1)}=***", text)


def _location_text(location: Any) -> str:
    """Return a ``LOCATION`` (one server, or a list of them) as text, redacted."""
    if isinstance(location, (list, tuple)):
        return ", ".join(redact(str(server)) for server in location)
    return redact(str(location or ""))


@dataclass(frozen=True)
class Store:
    """A cache or a database this app keeps ``uses`` in ("sessions", "refresh lock").

    ``location`` is already redacted."""

    kind: Kind
    alias: str
    backend: str
    location: str
    uses: tuple[str, ...]

    def describe(self) -> str:
        """Return e.g. ``cache 'default' (django_redis.cache.RedisCache at redis://***@host)``."""
        where = f" at {self.location}" if self.location else ""
        return f"{self.kind} '{self.alias}' ({self.backend}{where})"

    def describe_uses(self) -> str:
        """Return what the store holds and where it is, e.g. ``sessions and refresh lock:
        cache 'default' (...)``."""
        return f"{' and '.join(self.uses)}: {self.describe()}"


def lock_cache_alias(configured: str | None) -> str:
    """Return the refresh lock's cache: ``lock_cache_alias`` when set, else the session cache
    for the cache-based session engines, else ``default``."""
    if configured is not None:
        return configured
    if settings.SESSION_ENGINE in CACHE_SESSION_ENGINES:
        return str(settings.SESSION_CACHE_ALIAS)
    return DEFAULT_CACHE_ALIAS


def _cache(alias: str, uses: tuple[str, ...]) -> Store:
    entry = settings.CACHES.get(alias, {})
    backend, location = str(entry.get("BACKEND", "?")), _location_text(entry.get("LOCATION"))
    return Store("cache", alias, backend, location, uses)


def _session_database() -> str:
    """Return the database alias Django's database sessions are written to."""
    if not apps.is_installed("django.contrib.sessions"):
        return DEFAULT_DB_ALIAS  # E007 says so; nothing to route
    from django.contrib.sessions.models import Session

    return str(router.db_for_write(Session) or DEFAULT_DB_ALIAS)


def _database(alias: str, uses: tuple[str, ...]) -> Store:
    entry = settings.DATABASES.get(alias, {})
    host, port, name = (str(entry.get(key) or "") for key in ("HOST", "PORT", "NAME"))
    place = f"{host}:{port}" if host and port else host
    location = f"{place}/{name}" if place else name
    return Store("database", alias, str(entry.get("ENGINE", "?")), _location_text(location), uses)


def stores(lock_cache: str | None) -> list[Store]:
    """Return the stores of the sessions (for Django's cache, cached_db and db engines) and
    of the refresh lock (``lock_cache``: the ``lock_cache_alias`` setting), one entry per
    store, sessions first."""
    engine = settings.SESSION_ENGINE
    found: list[Store] = []
    lock = lock_cache_alias(lock_cache)
    if engine in CACHE_SESSION_ENGINES:
        alias = str(settings.SESSION_CACHE_ALIAS)
        both = alias == lock
        found.append(_cache(alias, ("sessions", "refresh lock") if both else ("sessions",)))
    if engine in DB_SESSION_ENGINES:
        found.append(_database(_session_database(), ("sessions",)))
    if not any(store.kind == "cache" and store.alias == lock for store in found):
        found.append(_cache(lock, ("refresh lock",)))
    return found


def _reason(exc: BaseException) -> str:
    """Return an exception's class and words, redacted and shortened."""
    words = redact(str(exc))[:MAX_REASON_LENGTH]
    return f"{type(exc).__name__}: {words}" if words else type(exc).__name__


def _ping_cache(alias: str) -> str | None:
    """Write, read back and delete a key in a fresh client of cache ``alias``; return what
    went wrong, or ``None``."""
    key, value = f"wristband:ping:{secrets.token_hex(8)}", secrets.token_hex(8)
    try:
        cache = caches.create_connection(alias)  # an alias CACHES lacks: E008, and said here
    except Exception as exc:
        return _reason(exc)
    try:
        cache.set(key, value, timeout=60)
        kept = cache.get(key)
        cache.delete(key)
    except Exception as exc:  # any client library's errors: the answer is what matters
        return _reason(exc)
    finally:
        cache.close()
    if kept != value:
        return "it did not keep a value written to it (a dummy cache, or one that fails silently)"
    return None


def _ping_database(alias: str) -> str | None:
    """Connect to database ``alias`` and look for the session table; return what went
    wrong, or ``None``."""
    if not apps.is_installed("django.contrib.sessions"):
        return "django.contrib.sessions is not in INSTALLED_APPS"
    from django.contrib.sessions.models import Session

    table = Session._meta.db_table
    try:
        with connections[alias].cursor() as cursor:
            tables = connections[alias].introspection.table_names(cursor)
    except Exception as exc:  # any driver's errors (and a missing driver)
        return _reason(exc)
    if table not in tables:
        return f"it has no {table} table: run manage.py migrate"
    return None


def ping(store: Store, *, seconds: float = PING_SECONDS) -> str | None:
    """Return why ``store`` did not answer, or ``None`` when it did.

    A cache is asked from a thread of its own with a fresh client, and counts as not
    answering after ``seconds`` (a server that never answers would otherwise hang the
    command). A database is asked in this thread, as Django's test databases need."""
    if store.kind == "database":
        return _ping_database(store.alias)
    answer: list[str | None] = []
    asking = threading.Thread(target=lambda: answer.append(_ping_cache(store.alias)), daemon=True)
    asking.start()
    asking.join(seconds)
    return answer[0] if answer else f"no answer within {seconds:g} s"


def shown_description(error: StoreUnavailableError) -> str:
    """Return the description a person is shown for ``error``: its public one, and in DEBUG
    also which stores hold the sessions and the refresh lock (locations redacted), where
    the outage is to be found. Outside DEBUG nothing about the servers is shown."""
    description = error.shown_description
    if not settings.DEBUG:
        return description
    try:
        named = "; ".join(store.describe_uses() for store in stores(get_config().lock_cache_alias))
    except Exception:  # the error page never fails over its details
        return description
    where = gettext("(DEBUG) Where they are kept: %(stores)s.") % {"stores": named}
    return f"{description} {where}"
