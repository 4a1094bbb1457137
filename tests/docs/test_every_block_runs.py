"""Every code block of the documentation is named by a marker, and some test runs it.

A block without a marker, a marker twice, a flag the extractor does not know, a block with
``...`` not flagged ``partial``, or a marker that no test reads through
``tests/docs/docs_blocks.block()`` fails here. Which test reads which block is found in the
tests' source (the literal marker passed to ``block()``/``code()``), so the list cannot go
stale: a test that stops reading a block stops counting. The splicing of partial settings
blocks is checked here too.
"""

from __future__ import annotations

from pathlib import Path

from tests.docs.docs_blocks import (
    FLAGS,
    ROOT,
    all_blocks,
    markers_read_in,
    page_blocks,
    pages,
    splice,
)

#: The fence languages a page may use.
LANGUAGES = {"python", "sh", "console", "django", "js", "jsx", "text", ""}


def markers_read_by_tests() -> set[str]:
    """Return every marker a test module under ``tests/`` reads through the extractor."""
    read: set[str] = set()
    for module in (ROOT / "tests").rglob("*.py"):
        if module.name != "docs_blocks.py":
            read |= markers_read_in(module.read_text(encoding="utf-8"))
    return read


def test_the_pages_are_found_with_their_blocks() -> None:
    names = {page.name for page in pages()}
    assert {"README.md", "quickstart.md", "apis.md", "endpoints.md", "migrating.md"} <= names
    assert len(all_blocks()) >= 70


def test_every_block_has_a_marker_with_known_flags() -> None:
    for found in all_blocks():
        assert found.marker, f"{found.where}: a {found.lang or 'plain'} block without a marker"
        assert found.lang in LANGUAGES, f"{found.where}: language {found.lang!r}"
        assert found.flags <= FLAGS, f"{found.where}: unknown flags {found.flags - FLAGS}"
        assert len(found.flags) <= 1, f"{found.where}: partial or checked, not both"


def test_every_marker_names_one_block() -> None:
    markers = [found.marker for found in all_blocks() if found.marker]
    assert len(markers) == len(set(markers)), sorted(m for m in markers if markers.count(m) > 1)


def test_a_block_with_an_ellipsis_says_it_is_partial() -> None:
    for found in all_blocks():
        if found.lang == "python" and "..." in found.code:
            assert "partial" in found.flags, f"{found.where}: `...` in a block run as written"


def test_every_python_block_run_as_written_compiles() -> None:
    for found in all_blocks():
        if found.lang == "python" and not found.flags:
            compile(found.code, found.where, "exec")


def test_every_marker_is_read_by_a_test() -> None:
    unread = {found.marker for found in all_blocks()} - markers_read_by_tests()
    assert not unread, f"no test reads these blocks through docs_blocks.block(): {unread}"


def test_the_coverage_scan_sees_reads_through_the_extractor_and_nothing_else() -> None:
    source = (
        "from tests.docs.docs_blocks import block\nfrom tests.docs import docs_blocks\n"
        "x = block('a:read')\ny = docs_blocks.code('b:read')\n"
        "# block('c:comment')\nz = 'd:string'\nw = block(name)\nv = other.code('e:other')\n"
    )
    assert markers_read_in(source) == {"a:read", "b:read"}
    own_helper = "def code(marker): ...\nx = code('f:own-helper')\n"
    assert markers_read_in(own_helper) == set()


def test_the_extractor_reads_markers_flags_notes_and_indented_fences(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- p:one partial: in context -->\n```python\nA = 1\n```\n\n"
        "- item: <!-- p:two -->\n  ```sh\n  echo hi\n  ```\n\nText\n```\nbare\n```\n"
    )
    one, two, bare = page_blocks(page)
    assert (one.marker, one.flags, one.note, one.code) == (
        "p:one",
        frozenset({"partial"}),
        "in context",
        "A = 1\n",
    )
    assert (two.marker, two.lang, two.code) == ("p:two", "sh", "echo hi\n")
    assert (bare.marker, bare.lang) == (None, "")


BASE = {
    "MIDDLEWARE": ["security", "sessions", "common", "csrf", "auth", "messages"],
    "WRISTBAND_AUTH": {"client_id": "id", "protected_paths": ["/old/"]},
    "INSTALLED_APPS": ["django.contrib.admin"],
}


def test_a_dicts_ellipsis_stands_for_the_base_dicts_items() -> None:
    made = splice('WRISTBAND_AUTH = {..., "protected_paths": ["/api/"]}', BASE)
    assert made["WRISTBAND_AUTH"] == {"client_id": "id", "protected_paths": ["/api/"]}
    multiline = splice('WRISTBAND_AUTH = {\n    ...,\n    "proxy_url": False,\n}', BASE)
    assert multiline["WRISTBAND_AUTH"] == {**BASE["WRISTBAND_AUTH"], "proxy_url": False}
    assert BASE["WRISTBAND_AUTH"] == {"client_id": "id", "protected_paths": ["/old/"]}


def test_a_lists_ellipsis_stands_for_the_base_entries_in_the_order_the_block_gives() -> None:
    made = splice('MIDDLEWARE = [..., "sessions", ..., "wristband", ...]', BASE)
    assert made["MIDDLEWARE"] == [*BASE["MIDDLEWARE"], "wristband"]
    first = splice('MIDDLEWARE = ["cors", ..., "csrf", "wristband", ...]', BASE)
    assert first["MIDDLEWARE"] == [
        "cors",
        "security",
        "sessions",
        "common",
        "csrf",
        "wristband",
        "auth",
        "messages",
    ]
    closed = splice('MIDDLEWARE = ["cors", ..., "wristband"]', BASE)
    assert closed["MIDDLEWARE"] == ["cors", *BASE["MIDDLEWARE"], "wristband"]


def test_other_statements_run_as_written_on_the_base() -> None:
    made = splice('INSTALLED_APPS += ["corsheaders"]\nX = 5 * 60', BASE)
    assert made["INSTALLED_APPS"] == ["django.contrib.admin", "corsheaders"]
    assert made["X"] == 300
    assert BASE["INSTALLED_APPS"] == ["django.contrib.admin"]
