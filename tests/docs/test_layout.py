"""The map stays true: the top of ``wristband_django/`` is exactly the public modules that
docs/development.md lists, every internal package is listed as internal, each public module
says what it exports (``__all__``), and the public types are defined where users import them.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import wristband_django

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(wristband_django.__file__).parent
LAYOUT = (ROOT / "docs" / "development.md").read_text().split("## The layout\n", 1)[1]

#: Public modules that define every name they export (the others gather names: a package's
#: face such as ``conf`` or ``testing``, ``bearer`` and ``sessions`` with their exceptions,
#: the ``drf`` shim).
DEFINING = [
    "views",
    "middleware",
    "decorators",
    "mixins",
    "signals",
    "errors",
    "types",
    "deadlines",
    "backends",
    "user_adapter",
    "context_processors",
    "admin",
    "apps",
    "models",
]


def documented_public() -> set[str]:
    """Return the modules in the layout section's table of public modules."""
    table = LAYOUT.split("Public modules:", 1)[1].split("Internal packages:", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.MULTILINE))


def documented_internal() -> set[str]:
    """Return the packages the layout section lists as internal."""
    block = LAYOUT.split("Internal packages:", 1)[1].split("```", 2)[1]
    return set(re.findall(r"^wristband_django/([a-z0-9_]+)/", block, flags=re.MULTILINE))


def top_level() -> set[str]:
    """Return the modules and packages directly under ``wristband_django/``."""
    modules = {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    return modules | packages


def test_the_top_level_is_exactly_the_documented_public_modules_and_internal_packages() -> None:
    public, internal = documented_public(), documented_internal()
    assert internal == {"web", "flows", "wristband", "store", "telemetry"}
    assert not public & internal
    assert top_level() == public | internal, (
        "a module was added at (or removed from) the top of wristband_django/: the top is the "
        "public API; put internals in an internal package, or document the module in "
        "docs/development.md's layout"
    )


def test_the_top_level_stays_small() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    assert len(modules) <= 20


def test_every_public_module_says_what_it_exports() -> None:
    for name in documented_public() - {"migrations", "management", "contrib"}:
        module = importlib.import_module(f"wristband_django.{name}")
        exported = getattr(module, "__all__", None)
        assert exported, f"wristband_django.{name} has no __all__"
        for attribute in exported:
            assert hasattr(module, attribute), f"wristband_django.{name}.{attribute}"


def test_public_names_are_defined_in_the_module_users_import_them_from() -> None:
    for name in DEFINING:
        module = importlib.import_module(f"wristband_django.{name}")
        for attribute in module.__all__:
            value = getattr(module, attribute)
            if inspect.isclass(value) or inspect.isfunction(value):
                assert value.__module__ == module.__name__, f"{module.__name__}.{attribute}"


def test_the_views_bases_and_the_drf_shim_keep_their_paths() -> None:
    from wristband_django.drf import WristbandSessionAuthentication
    from wristband_django.views import SessionDataView, SessionView, WristbandView

    assert issubclass(SessionView, SessionDataView)
    assert issubclass(SessionDataView, WristbandView)
    assert WristbandSessionAuthentication.__module__ == "wristband_django.contrib.drf"
