"""The docs preview the README gives (``mkdocs serve``) prints what ``tox -e docs`` prints.

tox's docs environment sets ``NO_MKDOCS_2_WARNING=1``, which silences the notice Material for
MkDocs prints (in colour, on stderr) when ``mkdocs`` runs: its end of life and its successor.
The preview command sets it too, so a reader sees the same clean output either way.
"""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.docs.docs_blocks import code

ROOT = Path(__file__).resolve().parents[2]
#: Settings of tox's docs environment that change nothing mkdocs prints.
OUTPUT_NEUTRAL = {"PYTHONDONTWRITEBYTECODE", "WRISTBAND_REQUIRE_MKDOCS"}


def preview_environment() -> dict[str, str]:
    """The variables the README's preview command sets for ``mkdocs serve``."""
    (command,) = [part for part in code("readme:docs-preview").split("&&") if "mkdocs" in part]
    words = shlex.split(command, comments=True)
    assigned = words[: words.index("mkdocs")]
    assert words[words.index("mkdocs") + 1] == "serve", command
    return dict(word.split("=", 1) for word in assigned)


def tox_docs_environment() -> dict[str, str]:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    lines = tox["testenv:docs"]["setenv"].strip().splitlines()
    pairs = (line.split("=", 1) for line in lines)
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_docs_preview_sets_what_tox_docs_sets() -> None:
    wanted = {k: v for k, v in tox_docs_environment().items() if k not in OUTPUT_NEUTRAL}
    assert "NO_MKDOCS_2_WARNING" in wanted
    assert preview_environment() == wanted
    assert code("development:docs-preview") == code("readme:docs-preview")


@pytest.mark.mkdocs
def test_mkdocs_prints_no_notice_with_the_previews_environment(tmp_path: Path) -> None:
    """Run ``mkdocs`` (a build: it loads the theme as ``serve`` does) as the preview does."""
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    if mkdocs is None or find_spec("material") is None:
        pytest.skip('MkDocs and its Material theme are not installed (pip install -e ".[docs]")')
    env = {k: v for k, v in os.environ.items() if k != "NO_MKDOCS_2_WARNING"}
    env.update(preview_environment())
    build = [mkdocs, "build", "--quiet", "--site-dir", str(tmp_path / "site")]
    result = subprocess.run(  # noqa: S603 (our own command line)
        build, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Material for MkDocs" not in result.stderr, result.stderr
    assert "NO_MKDOCS_2_WARNING" not in result.stderr, result.stderr
