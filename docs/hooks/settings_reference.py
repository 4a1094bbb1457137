"""The configuration reference, generated from the code that parses the settings.

``docs/configuration.md`` holds a table with one row per ``WRISTBAND_AUTH`` key between the
two markers below, in the order of ``wristband_django.conf.parsing.SETTINGS``: the key, its
default, its description and an example. Each description and example, and any default that
``AuthConfig``'s field default does not tell, lives next to the key's parser; the other
defaults are read from ``AuthConfig``. A key without a description, an example or a default
fails. Each row carries the key as its anchor (``<a id="protected_paths"></a>``, at the start
of its default cell: the key's cell stays the key alone), which the package's messages link
to (``wristband_django.conf.parsing.reference_url``).

Two uses, so that the reference cannot drift from the code:

- an MkDocs hook (``hooks:`` in ``mkdocs.yml``): every build regenerates the table;
- a script, ``python docs/hooks/settings_reference.py``, which rewrites the table in the
  committed page, so that it reads right on GitHub too. ``tests/docs/test_docs.py`` fails when
  the committed table is not the generated one.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from wristband_django.conf.auth_config import AuthConfig
from wristband_django.conf.parsing import REQUIRED_KEYS, SETTINGS

START = "<!-- settings-reference:start (generated from wristband_django/conf/parsing.py) -->"
END = "<!-- settings-reference:end -->"
#: The page with the table, relative to the docs directory.
PAGE = "configuration.md"
PAGE_PATH = Path(__file__).resolve().parent.parent / PAGE

_FIELD_DEFAULTS = {
    field.name: field.default
    for field in dataclasses.fields(AuthConfig)
    if field.default is not dataclasses.MISSING
}


def python_value(value: Any) -> str:
    """A default as a reader writes it in ``settings.py``: lists, not tuples; ``5``, not
    ``5.0``; strings in double quotes."""
    if isinstance(value, tuple):
        return "[" + ", ".join(python_value(item) for item in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def default_text(key: str) -> str:
    """The reference's "default" cell for ``key``."""
    setting = SETTINGS[key]
    if setting.default is not None:
        return setting.default
    if key in REQUIRED_KEYS:
        return "required"
    if key not in _FIELD_DEFAULTS:
        raise ValueError(
            f"WRISTBAND_AUTH[{key!r}] maps to no AuthConfig field with a default: give its "
            "Setting an explicit default text"
        )
    return f"`{python_value(_FIELD_DEFAULTS[key])}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_table() -> str:
    """The reference table: one row per key, in the order the code defines them, anchored
    at the key."""
    rows = ["| key | default | meaning |", "| --- | --- | --- |"]
    for key, setting in SETTINGS.items():
        if not setting.description.strip():
            raise ValueError(f"WRISTBAND_AUTH[{key!r}] has no description in its Setting")
        if not setting.example.strip():
            raise ValueError(f"WRISTBAND_AUTH[{key!r}] has no example in its Setting")
        default = f'<a id="{key}"></a>{_cell(default_text(key))}'
        meaning = f"{setting.description} Example: `{setting.example}`."
        rows.append(f"| `{key}` | {default} | {_cell(meaning)} |")
    return "\n".join(rows)


def render_page(markdown: str) -> str:
    """``configuration.md`` with the table between the markers generated afresh."""
    if markdown.count(START) != 1 or markdown.count(END) != 1:
        raise ValueError(f"{PAGE} must contain {START} and {END} once each")
    before, rest = markdown.split(START)
    _, after = rest.split(END)
    return f"{before}{START}\n\n{render_table()}\n\n{END}{after}"


def on_page_markdown(markdown: str, *, page: Any, **kwargs: Any) -> str:
    """MkDocs event: regenerate the table on the configuration page."""
    if page.file.src_uri == PAGE:
        return render_page(markdown)
    return markdown


if __name__ == "__main__":
    current = PAGE_PATH.read_text()
    updated = render_page(current)
    PAGE_PATH.write_text(updated)
    print(f"{PAGE_PATH}: {'updated' if updated != current else 'already up to date'}")
