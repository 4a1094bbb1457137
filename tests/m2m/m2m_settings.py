"""Settings for the M2M test's gunicorn servers: a view calling ``get_token()``, and the
cache shared through Redis (``REDIS_URL`` set) or each process's own LocMem cache."""

import json
import os

from tests.support.settings import *  # noqa: F403

ROOT_URLCONF = "tests.m2m.m2m_urls"
MIDDLEWARE: list[str] = []
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ["REDIS_KEY_PREFIX"],
        }
    }
WRISTBAND_AUTH = json.loads(os.environ["WRISTBAND_TEST_AUTH"])
