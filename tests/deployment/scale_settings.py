"""Settings for the app servers of tests/deployment/scale_harness.py: each gunicorn master
stands in for one machine, and they share the sessions and the refresh lock through Redis.

The cache settings are the ones docs/deployment.md shows ("Scaling out and Redis failover"):
one Redis (``WRISTBAND_SCALE_REDIS_URL``), or Redis behind Sentinels through django-redis's
``SentinelClient`` (``WRISTBAND_SCALE_SENTINELS``: the Sentinels' ports on 127.0.0.1).
"""

import json
import os

from tests.support.settings import *  # noqa: F403

#: Fail fast when Redis does not answer: a 503 within a second, not a worker held.
TIMEOUTS = {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}

if os.environ.get("WRISTBAND_SCALE_SENTINELS"):
    SENTINELS = [
        ("127.0.0.1", int(port)) for port in os.environ["WRISTBAND_SCALE_SENTINELS"].split(",")
    ]
    PRIMARY = f"redis://{os.environ['WRISTBAND_SCALE_SENTINEL_SERVICE']}/0"
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            # A list holding the one URL: every command goes to the primary. A bare string
            # makes SentinelClient send reads to a replica too (WRISTBAND_SCALE_REPLICA_READS,
            # measured by benchmarks/scale.py).
            "LOCATION": PRIMARY
            if os.environ.get("WRISTBAND_SCALE_REPLICA_READS") == "1"
            else [PRIMARY],
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.SentinelClient",
                "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                "CONNECTION_POOL_CLASS": "redis.sentinel.SentinelConnectionPool",
                "SENTINELS": SENTINELS,
                **TIMEOUTS,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["WRISTBAND_SCALE_REDIS_URL"],
            "OPTIONS": TIMEOUTS,
        }
    }
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
WRISTBAND_AUTH = json.loads(os.environ["WRISTBAND_SCALE_AUTH"])
# What an operator would see: the package's warnings and errors, in the server's log file.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s pid %(process)d %(levelname)s %(name)s: %(message)s"}
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"wristband_django": {"level": "WARNING", "handlers": ["stderr"]}},
}
