"""The one way the tests read a code block of the documentation: by the marker above it.

Every fenced block of every page (``docs/*.md`` and ``README.md``) follows an HTML comment
naming it, at the end of the line right above the fence (alone on that line, or after a
list item's text, where a line of its own would end the list), unique across the pages::

    <!-- quickstart:settings -->
    <!-- middleware:settings partial: spliced into the quickstart's settings -->
    <!-- readme:tests checked: .ci/run runs it verbatim -->

A flag after the name says how the block is exercised: ``partial`` (a fragment, ``...``
included, run in a context the test gives it), ``checked`` (not run as written, because it
installs from PyPI or runs for minutes: the test checks what it names). No flag: the block
runs as written. Text after a colon is a note for the reader of the Markdown.
``tests/docs/test_every_block_runs.py`` fails for a block without a marker and for a marker
no test reads with ``block()``; ``splice()`` runs a partial settings block on base settings.
"""

from __future__ import annotations

import ast
import copy
import re
import textwrap
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: The flags a marker may carry.
FLAGS = frozenset({"partial", "checked"})
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[ \t]*$")
#: At the end of the line above the fence (alone on it, or after a list item's text).
MARKER = re.compile(
    r"(?:^[ \t]*|[^ \t] )<!-- (?P<name>[a-z0-9-]+:[a-z0-9-]+)"
    r"(?P<flags>(?: [a-z]+)*)(?:: (?P<note>.*?))? -->$"
)


@dataclass(frozen=True)
class Block:
    """A fenced code block: its page, marker (``None`` without one), language and code."""

    page: Path
    line: int
    lang: str
    code: str
    marker: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    note: str = ""

    @property
    def where(self) -> str:
        """Say where the block is, as ``docs/quickstart.md:22``."""
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    """Return every page whose blocks the tests read: the docs' pages, then the README."""
    return [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]


@cache
def page_blocks(page: Path) -> tuple[Block, ...]:
    """Return every fenced block of ``page``, in order, with the marker right above it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent = opening["indent"]
        end = next(
            (i for i in range(index + 1, len(lines)) if lines[i].strip() == "```"), len(lines)
        )
        body = [line.removeprefix(indent) for line in lines[index + 1 : end]]
        above = MARKER.search(lines[index - 1]) if index else None
        found.append(
            Block(
                page=page,
                line=index + 1,
                lang=opening["lang"],
                code="\n".join(body) + "\n",
                marker=above["name"] if above else None,
                flags=frozenset(above["flags"].split()) if above else frozenset(),
                note=(above["note"] or "") if above else "",
            )
        )
        index = end + 1
    return tuple(found)


@cache
def all_blocks() -> tuple[Block, ...]:
    """Return the blocks of every page."""
    return tuple(found for page in pages() for found in page_blocks(page))


def block(marker: str) -> Block:
    """Return the block after ``<!-- marker -->``, whichever page it is on.

    Tests read blocks only through this function, with the marker as a literal string: that
    is how the coverage test knows which blocks are run.
    """
    matches = [found for found in all_blocks() if found.marker == marker]
    assert len(matches) == 1, f"{len(matches)} blocks follow <!-- {marker} --> (want one)"
    return matches[0]


def code(marker: str) -> str:
    """Return the code of the block after ``<!-- marker -->``."""
    return block(marker).code


def markers_read_in(source: str) -> set[str]:
    """Return the markers a test module reads: literal arguments of this module's ``block()``
    or ``code()``, imported from it (``from tests.docs.docs_blocks import code``, or
    ``from tests.docs import docs_blocks`` and ``docs_blocks.code(...)``)."""
    tree = ast.parse(source)
    readers: set[str] = set()  # the names the module calls them by
    modules: set[str] = set()  # the names it calls this module by
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "tests.docs.docs_blocks":
            readers |= {a.asname or a.name for a in node.names if a.name in {"block", "code"}}
        if isinstance(node, ast.ImportFrom) and node.module == "tests.docs":
            modules |= {a.asname or a.name for a in node.names if a.name == "docs_blocks"}
    read = set()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
        ):
            continue
        func = node.func
        direct = isinstance(func, ast.Name) and func.id in readers
        through = (
            isinstance(func, ast.Attribute)
            and func.attr in {"block", "code"}
            and isinstance(func.value, ast.Name)
            and func.value.id in modules
        )
        if (direct or through) and isinstance(node.args[0].value, str):
            read.add(node.args[0].value)
    return read


# --- partial settings blocks ------------------------------------------------------------------


#: ``NAME = {...,`` (the dict's first entry is ``...``), on one line or more.
DICT_GAP = re.compile(r"^(?P<head>(?P<name>[A-Z_]+) = \{\s*)\.\.\.,", re.MULTILINE)


def splice(partial: str, base: dict[str, Any]) -> dict[str, Any]:
    """Run a settings block with ``...`` on ``base`` settings; return the settings it makes.

    In a dict, ``...`` stands for the base dict's items (the block's keys win); in a list,
    for the base list's entries that the block does not name, in the base's order, where the
    block puts ``...``: the entries the block names keep the order it gives
    (``[..., "x", ...]`` puts ``"x"`` after the base's entries that come before the block's
    next named entry). Everything else runs as written (``INSTALLED_APPS += [...]``,
    ``WRISTBAND_AUTH["key"] = value``).
    """
    source = DICT_GAP.sub(r"\g<head>**\g<name>,", textwrap.dedent(partial))
    namespace = {name: copy.deepcopy(value) for name, value in base.items()}
    exec(compile(source, "<doc>", "exec"), namespace)  # noqa: S102 (the docs' own block)
    namespace.pop("__builtins__", None)
    for name, value in namespace.items():
        if isinstance(value, list) and Ellipsis in value:
            namespace[name] = fill_list(value, list(base.get(name, [])))
    return namespace


def fill_list(value: list[Any], base: list[Any]) -> list[Any]:
    """Put ``base``'s entries where ``value`` has ``...``, keeping both orders."""
    named = [item for item in value if item is not Ellipsis]
    rest = [item for item in base if item not in named]
    filled: list[Any] = []
    for position, item in enumerate(value):
        if item is not Ellipsis:
            filled.append(item)
            continue
        following = [i for i in value[position + 1 :] if i is not Ellipsis]
        # The gap takes the base's entries that come before the block's next named entry.
        while rest and (not following or comes_before(rest[0], following[0], base)):
            filled.append(rest.pop(0))
    return filled


def comes_before(entry: Any, named: Any, base: list[Any]) -> bool:
    """Whether ``entry`` comes before ``named`` in ``base`` (an entry the base lacks: last)."""
    return named not in base or base.index(entry) < base.index(named)
