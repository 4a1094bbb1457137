"""The documentation stays true: the settings reference is the code's, every page is in the
site, what CI builds is the strict site, and every test the security page cites exists."""

from __future__ import annotations

import configparser
import importlib.util
import re
from pathlib import Path
from types import ModuleType

from wristband_django.conf import SETTING_KEYS
from wristband_django.conf.parsing import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MKDOCS = (ROOT / "mkdocs.yml").read_text()


def load_reference_generator() -> ModuleType:
    """docs/hooks/settings_reference.py: the MkDocs hook that writes the settings table."""
    path = DOCS / "hooks" / "settings_reference.py"
    spec = importlib.util.spec_from_file_location("settings_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = load_reference_generator()


def table_rows(markdown: str) -> dict[str, str]:
    """The reference table's rows in ``markdown``, by key."""
    table = markdown.split(REFERENCE.START, 1)[1].split(REFERENCE.END, 1)[0]
    return dict(re.findall(r"^\| `([a-z_]+)` \|(.*)$", table, flags=re.MULTILINE))


def test_every_setting_has_a_description_and_a_default() -> None:
    for key, setting in SETTINGS.items():
        assert setting.description.strip(), key
        assert REFERENCE.default_text(key).strip(), key


def test_the_generated_reference_has_exactly_the_settings_with_their_descriptions() -> None:
    rows = table_rows(REFERENCE.render_page((DOCS / "configuration.md").read_text()))
    assert set(rows) == set(SETTING_KEYS)
    for key, row in rows.items():
        assert SETTINGS[key].description.replace("|", "\\|") in row, key


def test_the_committed_reference_is_the_generated_one() -> None:
    page = (DOCS / "configuration.md").read_text()
    assert set(table_rows(page)) == set(SETTING_KEYS), (
        "docs/configuration.md is out of date: run python docs/hooks/settings_reference.py"
    )
    assert page == REFERENCE.render_page(page), (
        "docs/configuration.md is out of date: run python docs/hooks/settings_reference.py"
    )


def test_defaults_are_shown_as_a_reader_writes_them() -> None:
    assert REFERENCE.default_text("client_id") == "required"
    assert REFERENCE.default_text("scopes") == '`["openid", "offline_access", "email"]`'
    assert REFERENCE.default_text("connect_timeout") == "`5`"  # 5.0 in AuthConfig
    assert REFERENCE.default_text("default_return_url") == '`"/"`'
    assert REFERENCE.default_text("lock_cache_alias") == "`None`"
    assert REFERENCE.default_text("refresh_lock_timeout") == "`refresh_timeout` + 5 (`15`)"


def test_the_site_builds_the_reference_with_the_hook() -> None:
    assert re.search(r"^hooks:\n  - docs/hooks/settings_reference\.py$", MKDOCS, re.MULTILINE)


def test_every_page_is_in_the_site_and_every_entry_is_a_page() -> None:
    nav = set(re.findall(r"^  - [^:\n]+: (\S+\.md)$", MKDOCS, flags=re.MULTILINE))
    pages = {path.name for path in DOCS.glob("*.md")}
    assert nav == pages


def test_the_site_is_built_strictly_and_ci_builds_it() -> None:
    assert re.search(r"^strict: true$", MKDOCS, re.MULTILINE)
    for check in ("omitted_files", "absolute_links", "unrecognized_links", "anchors"):
        assert re.search(rf"^  {check}: warn$", MKDOCS, re.MULTILINE), check  # warn = fail
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    assert "docs" in tox["tox"]["envlist"].split()
    assert "mkdocs build --strict" in tox["testenv:docs"]["commands"]
    readme = (ROOT / "README.md").read_text()
    test_command = next(line for line in readme.splitlines() if "tox -e py" in line)
    assert "docs" in test_command.rsplit(" -e ", 1)[1].split(",")  # what .ci/run runs


def test_the_changelog_page_includes_the_changelog_rather_than_copying_it() -> None:
    assert (DOCS / "changelog.md").read_text().strip() == '--8<-- "CHANGELOG.md"'
    assert "pymdownx.snippets" in MKDOCS


def test_the_home_page_commands_are_the_readme_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    index = (DOCS / "index.md").read_text()
    commands = re.findall(r"```sh\n(.*?)```", index, re.DOTALL)
    tox_commands = [command for command in commands if "-m tox -e" in command]
    assert len(tox_commands) >= 2
    for command in tox_commands:
        assert command.strip().splitlines()[-1] in readme


def test_every_test_docs_security_cites_exists() -> None:
    cited = set(re.findall(r"\b(test_[a-z0-9_]+)", (DOCS / "SECURITY.md").read_text()))
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), flags=re.MULTILINE))
        defined.add(path.stem)  # modules are cited too (test_fuzz, test_refresh_concurrency...)
    assert cited - defined == set()
