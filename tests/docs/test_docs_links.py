"""Every link to the documentation the package makes leads to a page and heading of docs/.

The package links the published site (``wristband_django.conf.docs_links``) from check
hints, ``wristband_check`` and the error pages. This test reads every ``docs_url(...)`` call
in the package's source, and fails for a page that does not exist or an anchor that no heading
(or explicit ``id``) of that page makes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.docs.test_readme import anchors
from wristband_django.conf.docs_links import DOCS_URL, docs_url

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "wristband_django"
DOCS = ROOT / "docs"


def page_anchors(page: Path) -> set[str]:
    """The headings' anchors of ``page``, and the ids it sets explicitly."""
    text = page.read_text()
    explicit = set(re.findall(r'\bid="([^"]+)"', text)) | set(re.findall(r"\{#([\w-]+)\}", text))
    return anchors(page) | explicit


def docs_url_calls() -> list[tuple[str, str, str]]:
    """Every ``docs_url(page[, anchor])`` call with literal arguments: (module, page, anchor)."""
    calls = []
    for module in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "docs_url"
            ):
                values = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
                assert len(values) == len(node.args), f"{module}: docs_url with a computed page"
                page, anchor = [*values, ""][:2]
                calls.append((str(module.relative_to(ROOT)), page, anchor))
    return calls


def test_the_package_links_the_site_mkdocs_publishes() -> None:
    site_url = re.search(r"^site_url: (\S+)$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)
    assert site_url is not None and site_url.group(1) == DOCS_URL
    assert docs_url("configuration", "client_secret") == f"{DOCS_URL}configuration/#client_secret"
    assert docs_url("index") == DOCS_URL


@pytest.mark.parametrize(("module", "page", "anchor"), docs_url_calls())
def test_every_docs_link_leads_to_a_page_and_heading(module: str, page: str, anchor: str) -> None:
    target = DOCS / f"{page}.md"
    assert target.exists(), f"{module} links {page}, which is not a page of docs/"
    if anchor:
        assert anchor in page_anchors(target), f"{module} links {page}#{anchor}: no such heading"


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of ``tree``'s module, classes and functions."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            found.add(id(body[0].value))
    return found


def test_no_message_names_a_repository_path_instead_of_a_url() -> None:
    offending = []
    for module in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(module.read_text())
        skip = docstrings(tree)
        offending += [
            f"{module.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and re.search(r"\bdocs/[\w-]+\.md\b", node.value)
        ]
    assert not offending, "messages name repository paths:\n" + "\n".join(offending)
