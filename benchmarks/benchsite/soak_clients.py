"""What the soak's server and runner both need, without Django: the machine clients'
credentials and a process's resident memory."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path


def machine_client(index: int, secret_key: str) -> tuple[str, str]:
    """Return the id and secret of machine client ``index``: the secret is derived from the
    server's secret key, so that none is on a command line or in the environment."""
    secret = hmac.new(secret_key.encode(), f"soak-m2m-{index}".encode(), hashlib.sha256)
    return f"soak-m2m-{index}", secret.hexdigest()


def rss_kib(pid: int | str = "self") -> int:
    """Return the resident memory of process ``pid`` (``VmRSS`` in /proc), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
