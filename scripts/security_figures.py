#!/usr/bin/env python
"""Run the security suites and write their figures into docs/SECURITY.md.

    python scripts/security_figures.py            # "thorough": 1250 examples per fuzz test
    python scripts/security_figures.py --quick    # the CI profile: 40 examples

Needs the test extra (pip install -e ".[test]") and Redis, as the tests do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "SECURITY.md"
SUITES = [
    "tests/security/test_fuzz.py",
    "tests/security/test_tenant_integrity.py",
    "tests/security/test_session_cookie_values.py",
    "tests/security/test_security.py",
    "tests/security/test_failure_injection.py",
    "tests/guards/test_tenant_hosts.py",
    "tests/security/test_proxy_redaction.py",
]
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
COUNTS = [
    ("fuzz inputs tried", "Hostile requests and broken Wristband answers tried"),
    ("open redirect attempts", "Open-redirect attempts (return_url, tenant_name, custom domain)"),
    ("500s", "Answers with status 500"),
    ("sessions created from bad input", "Sessions created from bad input"),
    ("valid sessions lost", "Valid sessions lost to hostile requests"),
    ("sessions whose tenant differs from the authenticated one",
     "Sessions whose tenant name or id differs from the tenant the user authenticated with"),
    ("sessions ended by a broken refresh answer (by design)",
     "Sessions ended because Wristband's refresh answer was broken (the documented fatal path)"),
    ("log lines checked", "Log lines captured at DEBUG during login, refresh, failures and logout"),
    ("tokens found in logs", "Tokens, codes, secrets or cookie values found in those logs"),
    ("tenant host requests tried",
     "Requests with one tenant's credential on every kind of host (incl. fuzzed Host headers)"),
    ("credentials that acted on another tenant's host",
     "Requests where a session or token of one tenant acted on another tenant's host"),
    ("proxy URLs tried in wristband_check, the log and the error page",
     "Proxy URLs with credentials tried in wristband_check, the log and the error page"),
    ("proxy password fragments shown", "Proxy password fragments shown anywhere"),
]  # fmt: skip


def run(profile: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        env = {**os.environ, "HYPOTHESIS_PROFILE": profile, "WRISTBAND_FIGURES_FILE": str(out)}
        started = time.monotonic()
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *SUITES], cwd=ROOT, env=env
        )
        if result.returncode != 0:
            sys.exit(f"the security suites failed (exit {result.returncode}); figures not written")
        data: dict[str, object] = json.loads(out.read_text())
        data["seconds"] = round(time.monotonic() - started)
        return data


def render(data: dict[str, object], profile: str) -> str:
    counts = data["counts"]
    assert isinstance(counts, dict)
    lines = [
        f"Last run: {time.strftime('%Y-%m-%d')}, hypothesis profile `{profile}`, "
        f"{data['seconds']} s, Python {platform.python_version()}, {platform.machine()}.",
        "",
        "| figure | value |",
        "| --- | --- |",
        *(f"| {label} | {counts.get(key, 0)} |" for key, label in COUNTS),
        "",
        "| failure injected | what the user sees | their session | secrets leaked |",
        "| --- | --- | --- | --- |",
    ]
    scenarios = data["scenarios"]
    assert isinstance(scenarios, list)
    lines += [
        f"| {s['scenario']} | {s['user_sees']} | {s['session']} | {s['leaked']} |"
        for s in scenarios
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the CI profile (40 examples)")
    profile = "ci" if parser.parse_args().quick else "thorough"
    table = render(run(profile), profile)
    text = DOC.read_text()
    head, rest = text.split(START, 1)
    DOC.write_text(f"{head}{START}\n{table}\n{END}{rest.split(END, 1)[1]}")
    print(table)


if __name__ == "__main__":
    main()
