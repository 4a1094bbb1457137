"""Benchmark server settings, chosen by environment variables set by ``benchmarks/run.py``.

BENCH_PACKAGE: ``ours`` (wristband_django) or ``official`` (wristband-django-auth).
BENCH_STORE: ``locmem``, ``redis`` (django-redis) or ``db`` (SQLite) sessions.
BENCH_SAVE_EVERY_REQUEST: ``1`` sets Django's ``SESSION_SAVE_EVERY_REQUEST``.
BENCH_LOCK_REDIS_URL: a cache ``locks`` on that Redis (django-redis), for ``lock_cache_alias``.
BENCH_POSTGRES_URL: ``postgresql://user@host:port/name``: the database is PostgreSQL's, not
SQLite's (d compares logins whose admin row goes to either).
BENCH_URLCONF: another URLconf of ``benchsite`` than the package's own (``urls_<package>``),
for scenarios that serve other views (bearer APIs, the soak).
BENCH_APPS: more apps to install, comma-separated (``rest_framework``).
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit

PACKAGE = os.environ["BENCH_PACKAGE"]
STORE = os.environ["BENCH_STORE"]

SECRET_KEY = os.environ["BENCH_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = os.environ.get("BENCH_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
USE_TZ = True
ROOT_URLCONF = os.environ.get("BENCH_URLCONF", f"benchsite.urls_{PACKAGE}")
WSGI_APPLICATION = "benchsite.wsgi.application"

# wristband-django-auth imports django.contrib.auth's models; both packages get the same apps.
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"]
#: The stack of the unprotected baseline; the protected stack may add the auth middleware.
PLAIN_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
MIDDLEWARE = list(PLAIN_MIDDLEWARE)
INSTALLED_APPS += [app for app in os.environ.get("BENCH_APPS", "").split(",") if app]
if PACKAGE == "ours":
    INSTALLED_APPS.append("wristband_django")
    MIDDLEWARE.append("wristband_django.middleware.WristbandAuthMiddleware")

DATABASES: dict[str, Any] = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BENCH_SQLITE_PATH"]}
}
if "BENCH_POSTGRES_URL" in os.environ:
    postgres = urlsplit(os.environ["BENCH_POSTGRES_URL"])
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": postgres.path.lstrip("/"),
        "USER": postgres.username,
        "HOST": postgres.hostname,
        "PORT": postgres.port,
        "CONN_MAX_AGE": None,  # one connection per worker, as deployments keep them
    }
CACHES: dict[str, Any] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if STORE == "redis":
    CACHES["default"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ["BENCH_REDIS_URL"],
    }
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if STORE == "db"
    else "django.contrib.sessions.backends.cache"
)
SESSION_SAVE_EVERY_REQUEST = os.environ.get("BENCH_SAVE_EVERY_REQUEST") == "1"
if "BENCH_LOCK_REDIS_URL" in os.environ:
    CACHES["locks"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ["BENCH_LOCK_REDIS_URL"],
    }

#: Each package reads its own settings: ours the dict, theirs through benchsite.official.
WRISTBAND_AUTH = json.loads(os.environ["BENCH_WRISTBAND_AUTH"])
# The fake Wristband is plain http on 127.0.0.1, on purpose (the hint of the check says so).
SILENCED_SYSTEM_CHECKS = ["wristband_django.E006", "wristband_django.W005"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# DRF's JSON only (the browsable API's templates are not what an API client gets).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
