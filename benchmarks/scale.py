#!/usr/bin/env python3
"""Scaling out and Redis failover, measured: ``python3 benchmarks/scale.py``.

Installs what it needs (Debian's redis-server, redis-sentinel and haproxy with apt when
missing; the benchmarks' virtualenv ``.venv-ours``, made as ``run.py`` makes it), then runs
``bench.scale`` in it: three gunicorn masters behind HAProxy sharing Redis (a refresh storm,
a logout), then Redis failovers under load (the primary SIGKILLed). It prints the tables and
writes them into docs/PERFORMANCE.md between the ``scale:start``/``scale:end`` markers, and a
copy into ``results/scale.md``. Takes about four minutes; every process it starts listens on
127.0.0.1 only and is stopped at the end, and every load is bounded in time.
``--help`` lists the knobs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
APT_PACKAGES = {"redis-server": "redis-server", "redis-sentinel": "redis-sentinel",
                "haproxy": "haproxy"}  # fmt: skip


def main() -> None:
    sys.path.insert(0, str(BENCH_DIR))
    from run import ensure_tools, ensure_venv  # run.py's apt step and its very virtualenv

    ensure_tools(APT_PACKAGES)
    python = ensure_venv(".venv-ours", "requirements-ours.txt") / "bin" / "python"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(REPO_DIR)])}
    os.execve(python, [str(python), "-m", "bench.scale", *sys.argv[1:]], env)  # noqa: S606


if __name__ == "__main__":
    main()
