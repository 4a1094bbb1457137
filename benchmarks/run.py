#!/usr/bin/env python3
"""Benchmarks, side by side with Wristband's own Django SDK: ``python3 benchmarks/run.py``.

Installs what it needs (wrk and redis-server with apt when missing; two virtualenvs with
pip: ``.venv-ours`` for the runner and our package's servers, ``.venv-official`` with
wristband-django-auth), then runs ``bench`` in ``.venv-ours``: it prints the tables and
writes them into docs/PERFORMANCE.md. Takes about five minutes on two cores; every load run
is bounded in time and only ever targets 127.0.0.1. ``--help`` lists the knobs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
VENVS = {".venv-ours": "requirements-ours.txt", ".venv-official": "requirements-official.txt"}
APT_PACKAGES = {"wrk": "wrk", "redis-server": "redis-server"}
SBIN = ("/usr/sbin", "/sbin")  # where Debian puts some daemons (haproxy); not on every PATH


def installed(binary: str) -> bool:
    return bool(shutil.which(binary)) or any(os.access(f"{d}/{binary}", os.X_OK) for d in SBIN)


def ensure_tools(packages: dict[str, str] = APT_PACKAGES) -> None:
    """Install with apt the packages (binary: Debian package) whose binary is missing."""
    missing = [package for binary, package in packages.items() if not installed(binary)]
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt is None:
        sys.exit(f"install {', '.join(missing)} first (no apt-get here)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-qq"], check=True, env=env)  # noqa: S603
    subprocess.run([apt, "install", "-y", "-qq", *missing], check=True, env=env)  # noqa: S603


def ensure_venv(name: str, requirements: str) -> Path:
    """Create or refresh the virtualenv when its requirements or this Python changed."""
    directory = BENCH_DIR / name
    files = [BENCH_DIR / "requirements-common.txt", BENCH_DIR / requirements]
    digest = hashlib.sha256(sys.version.encode())
    for file in files:
        digest.update(file.read_bytes())
    stamp = directory / ".requirements.sha256"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return directory
    print(f"Creating benchmarks/{name} …", file=sys.stderr, flush=True)
    venv.create(directory, clear=True, with_pip=True)
    pip = [str(directory / "bin" / "python"), "-m", "pip", "install", "-qq"]
    subprocess.run([*pip, "-r", str(BENCH_DIR / requirements)], check=True, cwd=BENCH_DIR)  # noqa: S603
    stamp.write_text(digest.hexdigest())
    return directory


def main() -> None:
    ensure_tools()
    venvs = {name: ensure_venv(name, requirements) for name, requirements in VENVS.items()}
    python = venvs[".venv-ours"] / "bin" / "python"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(REPO_DIR)])}
    os.execve(python, [str(python), "-m", "bench", *sys.argv[1:]], env)  # noqa: S606


if __name__ == "__main__":
    main()
