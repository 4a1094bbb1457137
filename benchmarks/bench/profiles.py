"""A readable summary of py-spy's collapsed stacks: where a request's time goes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

REQUEST_FRAME = "application (benchsite/wsgi.py)"
LINE_NUMBER = re.compile(r":\d+\)$")


def summarize_profile(raw: Path, top: int = 40) -> str:
    """Inclusive share of each function in the samples taken inside a request."""
    inclusive: Counter[str] = Counter()
    in_requests = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [LINE_NUMBER.sub(")", frame) for frame in stack.split(";")]
        if REQUEST_FRAME not in frames:
            continue  # gunicorn between requests
        below = frames[frames.index(REQUEST_FRAME) :]
        in_requests += int(count)
        inclusive.update(dict.fromkeys(below, int(count)))
    lines = [f"{in_requests} samples inside requests; inclusive share of each function:"]
    lines += [f"{n / in_requests:6.1%}  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"
