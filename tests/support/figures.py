"""Figures the security tests gather for docs/SECURITY.md (scripts/security_figures.py).

Tests add to these counters as they run; when WRISTBAND_FIGURES_FILE is set, the session's
totals are written there as JSON at the end of the run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

COUNTS: Counter[str] = Counter()
SCENARIOS: list[dict[str, Any]] = []


def count(name: str, amount: int = 1) -> None:
    COUNTS[name] += amount


def scenario(name: str, *, user_sees: str, session: str, leaked: int) -> None:
    SCENARIOS.append(
        {"scenario": name, "user_sees": user_sees, "session": session, "leaked": leaked}
    )


def write_if_requested() -> None:
    target = os.environ.get("WRISTBAND_FIGURES_FILE")
    if target:
        data = {"counts": dict(COUNTS), "scenarios": SCENARIOS}
        Path(target).write_text(json.dumps(data, indent=2, sort_keys=True))
