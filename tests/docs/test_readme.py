"""The README stays true: its CI command is what CI runs, and its links lead somewhere.

The rest of the documentation, moved from the README into docs/, is checked by
tests/docs/test_docs.py (the settings reference, the security page's citations) and
tests/docs/test_quickstart.py (the quickstart and the test recipe, run as written).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from tests.docs.docs_blocks import code

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = code("readme:tests").strip()
    assert "tox -e py" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def slug(heading: str) -> str:
    """A heading's anchor, as MkDocs (Python-Markdown's toc) and GitHub make it."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)  # no comments in code
    return {slug(heading) for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def test_every_relative_link_in_the_readme_leads_to_a_file_and_heading() -> None:
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    relative = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert any(link.startswith("docs/") for link in relative)  # the README links into docs/
    for link in relative:
        path, _, anchor = link.partition("#")
        target = ROOT / path
        assert target.exists(), link
        if anchor:
            assert anchor in anchors(target), link


def test_slug_matches_the_anchors_mkdocs_makes() -> None:
    assert slug("Deadlines: how long a request can wait for Wristband") == (
        "deadlines-how-long-a-request-can-wait-for-wristband"
    )
    assert slug("`manage.py wristband_check`") == "managepy-wristband_check"
    assert slug("A session's tenant is the tenant") == "a-sessions-tenant-is-the-tenant"
