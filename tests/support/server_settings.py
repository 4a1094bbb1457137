"""Settings for the test suite's real servers (gunicorn workers sharing Redis)."""

import json
import os

from tests.support.settings import *  # noqa: F403

CACHES = {
    "default": {
        # django-redis unless the test names another (Django's own RedisCache)
        "BACKEND": os.environ.get("REDIS_BACKEND", "django_redis.cache.RedisCache"),
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": os.environ["REDIS_KEY_PREFIX"],
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
WRISTBAND_AUTH = json.loads(os.environ["WRISTBAND_TEST_AUTH"])
