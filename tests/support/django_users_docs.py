"""Running docs/apis.md's "Django users" blocks as written (read with
``tests.docs.docs_blocks.code``): settings blocks on the test's settings, files of
``myproject`` as modules."""

from __future__ import annotations

import copy
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.support.docs_project import PROJECT, project_files

__all__ = ["PROJECT", "project_module", "run_settings_block"]


def run_settings_block(block: str, settings: Any) -> None:
    """Run a settings block, as written, on the current settings, and apply what it sets."""
    namespace = {"WRISTBAND_AUTH": copy.deepcopy(settings.WRISTBAND_AUTH)}
    exec(block, namespace)  # noqa: S102 (the documentation's own block)
    settings.WRISTBAND_AUTH = namespace["WRISTBAND_AUTH"]


def project_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, block: str
) -> AbstractContextManager[None]:
    """Make ``block`` the module ``myproject.<name>``, importable while the context lasts."""
    return project_files(tmp_path, monkeypatch, **{name: block})
