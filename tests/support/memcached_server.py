"""A memcached of the test's own, on a free loopback port: to pause, stop or restart."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from typing import Any

import pytest

from tests.support.network import free_port

#: Socket timeouts for the test caches: a paused server costs this long, not forever.
SOCKET_TIMEOUT = 0.5


class ThrowawayMemcached:
    """A memcached process of our own on a free port, which the test may pause, stop and
    restart (memcached keeps everything in memory: a restart starts empty)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("memcached")
        if binary is None:
            pytest.skip("memcached is not installed (Debian: apt-get install memcached)")
        command = [binary, "--listen=127.0.0.1", f"--port={self.port}", "--udp-port=0",
                   "--memory-limit=32", "--threads=1"]  # fmt: skip
        if os.geteuid() == 0:  # memcached refuses to run as root unless told to
            command.append("--user=root")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        for _ in range(100):
            if self.is_up():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"throwaway memcached did not start on port {self.port}")

    def is_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"version\r\n")
                return sock.recv(64).startswith(b"VERSION")
        except OSError:
            return False

    def stats(self) -> dict[str, int]:
        """The server's counters (``cmd_get``, ``cmd_set``, ``get_misses`` ...)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"stats\r\n")
            raw = b""
            while not raw.endswith(b"END\r\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                raw += chunk
        counters = {}
        for line in raw.decode().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "STAT" and parts[2].isdigit():
                counters[parts[1]] = int(parts[2])
        return counters

    @property
    def location(self) -> str:
        return f"127.0.0.1:{self.port}"

    def cache_settings(
        self, key_prefix: str = "", timeout: float = SOCKET_TIMEOUT
    ) -> dict[str, Any]:
        """A Django PyMemcacheCache entry for this server, with short socket timeouts and
        otherwise Django's defaults for pymemcache's HashClient (what users deploy)."""
        return {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": self.location,
            "KEY_PREFIX": key_prefix,
            "OPTIONS": {"connect_timeout": timeout, "timeout": timeout},
        }

    def _signal(self, signum: int) -> None:
        assert self.process is not None and self.process.poll() is None, "not running"
        os.kill(self.process.pid, signum)

    def pause(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing answers."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server (its data is gone); ``start()`` brings up an empty one."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()  # nothing to save: memcached keeps data in memory only
            self.process.wait(5)
        self.process = None
