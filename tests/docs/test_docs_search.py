"""The documentation site's search box finds what newcomers type: ``login_required``,
``LOGIN_URL``, ``next`` and ``Redis``, on the page that documents each, also as they are
written in code (``@login_required``, ``?next=``, ``settings.LOGIN_URL``, ``(Redis)``).

The site is built as ``tox -e docs`` builds it (strict), and its search index searched as
MkDocs Material's worker does (``tests.docs.docs_search``); with node, the worker itself
answers too and must agree. Skipped only without mkdocs (``pip install -e ".[docs]"``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.docs_search import SiteSearch

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
HAS_MKDOCS = all(importlib.util.find_spec(name) for name in ("mkdocs", "material"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.mkdocs,
    pytest.mark.skipif(not HAS_MKDOCS, reason='mkdocs is not installed: pip install -e ".[docs]"'),
]

#: (what a reader types, the page that documents it, the entry listed first, if one must be)
WHERE = [
    ("login_required", "django-auth/", "django-auth/"),
    ("@login_required", "django-auth/", "django-auth/"),
    ("login_required()", "django-auth/", "django-auth/"),
    ("login_req", "django-auth/", "django-auth/"),  # while typing
    ("LOGIN_URL", "django-auth/", "django-auth/#login_url"),
    ("settings.LOGIN_URL", "django-auth/", "django-auth/#login_url"),
    ("next", "django-auth/", "django-auth/#next-back-to-the-page-the-user-asked-for"),
    ("?next=", "django-auth/", "django-auth/#next-back-to-the-page-the-user-asked-for"),
    ("Redis", "deployment/", None),
    ("(Redis)", "deployment/", None),
]

#: Run MkDocs Material's own search worker on a built site, as a browser does: argv is the
#: site's directory and the queries; prints {query: [[location, ...], ...]}.
WORKER = """
const fs = require("fs"), vm = require("vm"), path = require("path");
const [site, ...queries] = process.argv.slice(2);
const workers = path.join(site, "assets/javascripts/workers");
const script = fs.readdirSync(workers).find(name => /^search\\..*\\.min\\.js$/.test(name));
let handler, replies = [];
const sandbox = {console, setTimeout, addEventListener: (type, fn) => { handler = fn },
                 postMessage: message => replies.push(message)};
sandbox.self = sandbox;
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(path.join(workers, script), "utf8"), sandbox);
const index = JSON.parse(fs.readFileSync(path.join(site, "search/search_index.json"), "utf8"));
(async () => {
  await handler({data: {type: 0, data: {...index, options: {suggest: true}}}});  // SETUP
  const answers = {};
  for (const query of queries) {
    replies = [];
    await handler({data: {type: 2, data: query}});  // QUERY
    answers[query] = replies[0].data.items.map(group => group.map(item => item.location));
  }
  console.log(JSON.stringify(answers));
})();
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built strictly (as ``tox -e docs`` builds it)."""
    site_dir = tmp_path_factory.mktemp("site")
    build = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    return site_dir


@pytest.mark.parametrize(("typed", "page", "first"), WHERE)
def test_the_search_box_lists_the_page_that_documents_it_first(
    site: Path, typed: str, page: str, first: str | None
) -> None:
    groups = SiteSearch(site).search(typed)
    assert groups, f"a search for {typed!r} finds nothing"
    listed = [group[0] for group in groups[:5]]
    assert groups[0][0].split("#")[0] == page, f"{typed!r} lists first: {listed}"
    if first is not None:
        assert groups[0][0] == first, f"{typed!r} lists first: {listed}"


def test_words_are_split_at_punctuation_but_not_at_underscores(site: Path) -> None:
    search = SiteSearch(site)
    assert search.terms("<code>?next=/a</code> (Redis), settings.LOGIN_URL 127.0.0.1") == [
        "next",
        "redis",
        "settings",
        "login_url",
        "127.0.0.1",
    ]
    assert search.query_terms("@login_required") == ["@login_required"]  # one word, as typed


# Not marked node: it needs mkdocs too, so it runs in tox's docs environment, where the
# module's mkdocs marker makes a skip (no node there either) fail the run.
@pytest.mark.skipif(NODE is None, reason="node is not installed (Debian: nodejs)")
def test_the_python_search_answers_as_materials_own_worker(site: Path, tmp_path: Path) -> None:
    script = tmp_path / "search.js"
    script.write_text(WORKER)
    queries = [typed for typed, _, _ in WHERE] + ["tenant", "cookie", "invalid_client", "DEBUG"]
    run = subprocess.run(  # noqa: S603 (node, a script of ours)
        [str(NODE), str(script), str(site), *queries],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    answers = json.loads(run.stdout)
    search = SiteSearch(site)
    for query in queries:
        ours, materials = search.search(query), answers[query]
        # The same entries found, and the same page first. Entries whose scores tie may be
        # listed in either order (the two sort differently), so the rest is compared as sets.
        assert sorted(map(sorted, ours)) == sorted(map(sorted, materials)), query
        assert [set(group) for group in ours[:1]] == [set(group) for group in materials[:1]], query
