"""The README stays true: its settings table and CI command match the code."""

from __future__ import annotations

import re
from pathlib import Path

from wristband_django.conf import SETTING_KEYS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented_and_nothing_else() -> None:
    table = README.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))
    assert documented == set(SETTING_KEYS)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    test_command = next(block.strip() for block in blocks if "tox -e py" in block)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_every_test_docs_security_cites_exists() -> None:
    cited = set(re.findall(r"\b(test_[a-z0-9_]+)", (ROOT / "docs" / "SECURITY.md").read_text()))
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), flags=re.MULTILINE))
        defined.add(path.stem)  # modules are cited too (test_fuzz, test_refresh_concurrency...)
    assert cited - defined == set()
