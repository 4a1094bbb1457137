"""Reading gettext catalogues without the gettext tools: a .po file's entries and a compiled
.mo file's messages, in one shape, so tests can compare them."""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PoEntry:
    """One message of a .po file: its ids, its translations (one per plural form) and flags."""

    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        """Return the key gettext looks the message up by (``context\\x04msgid``)."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def read_po(path: Path) -> list[PoEntry]:
    """Return the entries of the .po file at ``path``: the header (msgid ``""``) first; the
    obsolete ones (``#~``) left out."""
    entries: list[PoEntry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line]
        if not lines or any(line.startswith("#~") for line in lines):
            continue
        entry = PoEntry(msgid="")
        current: str | None = None
        for line in lines:
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                _append(entry, current, _unquote(line))
            else:
                current, _, value = line.partition(" ")
                _append(entry, current, _unquote(value), start=True)
        entries.append(entry)
    return entries


def _unquote(text: str) -> str:
    value = ast.literal_eval(text.strip())
    assert isinstance(value, str), text
    return value


def _append(entry: PoEntry, keyword: str | None, text: str, *, start: bool = False) -> None:
    """Add ``text`` to the field ``keyword`` names (``msgid``, ``msgstr[1]``...) of ``entry``."""
    if keyword in ("msgid", "msgid_plural", "msgctxt"):
        attribute = keyword
        before = "" if start else (getattr(entry, attribute) or "")
        setattr(entry, attribute, before + text)
    elif keyword is not None and keyword.startswith("msgstr"):
        form = int(keyword[7:-1]) if keyword.endswith("]") else 0
        entry.msgstr[form] = ("" if start else entry.msgstr.get(form, "")) + text
    else:
        raise ValueError(f"not a .po keyword: {keyword!r}")


def po_messages(entries: list[PoEntry]) -> dict[object, str]:
    """Return what msgfmt would compile ``entries`` to, in ``GNUTranslations``' own shape:
    ``key -> translation``, ``(key, form) -> translation`` for plurals. Left out: the header
    (msgfmt rewrites it), and fuzzy and untranslated entries, as msgfmt leaves them out."""
    messages: dict[object, str] = {}
    for entry in entries:
        if not entry.key or "fuzzy" in entry.flags or not all(entry.msgstr.values()):
            continue
        if entry.msgid_plural is None:
            messages[entry.key] = entry.msgstr[0]
        else:
            messages.update({(entry.key, form): text for form, text in entry.msgstr.items()})
    return messages


def mo_messages(path: Path) -> dict[object, str]:
    """Return the messages of the compiled .mo file at ``path``, as ``po_messages`` does."""
    with path.open("rb") as file:
        translations = gettext.GNUTranslations(file)
    catalog: dict[object, str] = dict(translations._catalog)  # type: ignore[attr-defined]
    catalog.pop("", None)  # the header
    return catalog
