"""Running docs/apis.md's "Django users" blocks as written (read with
``tests.docs.docs_blocks.code``): settings blocks on the test's settings, files of
``myproject`` as modules."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

#: The package the blocks' ``myproject/...`` files are written into.
PROJECT = "myproject"


def run_settings_block(block: str, settings: Any) -> None:
    """Run a settings block, as written, on the current settings, and apply what it sets."""
    namespace = {"WRISTBAND_AUTH": copy.deepcopy(settings.WRISTBAND_AUTH)}
    exec(block, namespace)  # noqa: S102 (the documentation's own block)
    settings.WRISTBAND_AUTH = namespace["WRISTBAND_AUTH"]


@contextmanager
def project_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, block: str
) -> Iterator[None]:
    """Make ``block`` the module ``myproject.<name>``, importable while the context lasts."""
    package = tmp_path / PROJECT
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / f"{name}.py").write_text(block)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        yield
    finally:
        for module in [module for module in sys.modules if module.split(".")[0] == PROJECT]:
            del sys.modules[module]
