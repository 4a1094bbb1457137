"""A redis-server of the test's own, on a free port: to pause, stop, restart or count on."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.network import free_port


class ThrowawayRedis:
    """A redis-server of our own on a free port, which the test may pause, stop and restart."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("throwaway redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cache_settings(self, socket_timeout: float = 0.5) -> dict[str, Any]:
        """A django-redis CACHES entry for this server, with short socket timeouts."""
        return {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": self.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": socket_timeout, "SOCKET_TIMEOUT": socket_timeout},
        }

    def stop_keeping_data(self) -> None:
        # No retries: redis-py would otherwise reconnect to the server it just shut down,
        # with backoff, for seconds.
        client = redis.Redis(port=self.port, retry=Retry(NoBackoff(), 0))
        client.shutdown(save=True)  # writes dump.rdb, then exits
        assert self.process is not None
        self.process.wait(5)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait(5)
