"""A project made of the documentation's blocks, for tests that run them as written.

``project_files`` writes blocks that are files of the reader's project (``myproject/...``) as
the modules of a package; ``mount`` makes a URLconf of the views a test took from the blocks,
beside the app's own endpoints under ``auth/``. Both undo themselves when the test ends.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, include, path

#: The package the blocks' ``myproject/...`` files are written into.
PROJECT = "myproject"
#: The name the URLconf ``mount`` makes is imported by.
URLCONF = "docs_blocks_urls"


@contextmanager
def project_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **modules: str
) -> Iterator[None]:
    """Make each ``name=source`` the module ``myproject.<name>`` while the context lasts."""
    package = tmp_path / PROJECT
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    for name, source in modules.items():
        (package / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        yield
    finally:
        for module in [module for module in sys.modules if module.split(".")[0] == PROJECT]:
            del sys.modules[module]


def mount(
    settings: Any, monkeypatch: pytest.MonkeyPatch, *patterns: URLPattern | URLResolver
) -> None:
    """Make ``patterns``, then the app's endpoints under ``auth/``, the project's URLconf."""
    urls = types.ModuleType(URLCONF)
    urls.urlpatterns = [*patterns, path("auth/", include("wristband_django.urls"))]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, URLCONF, urls)
    settings.ROOT_URLCONF = URLCONF


def exec_block(source: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a block's code in ``namespace`` (a new one by default); return the namespace.

    Its functions and classes belong to the module ``docs_block``, as Django's URL resolver
    wants a module name."""
    namespace = {} if namespace is None else namespace
    namespace.setdefault("__name__", "docs_block")
    exec(compile(source, "<docs block>", "exec"), namespace)  # noqa: S102 (the docs' own block)
    return namespace


def filled(source: str, *replacements: tuple[str, str]) -> str:
    """Put a test's code in place of a partial block's ``...``: each ``(old, new)`` pair's
    ``old`` occurs once in the block and becomes ``new``."""
    for old, new in replacements:
        assert source.count(old) == 1, f"{old!r} is not once in the block:\n{source}"
        source = source.replace(old, new)
    return source
