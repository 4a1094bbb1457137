"""What the documentation site's search box answers: MkDocs Material's search, in Python.

The site's search runs in the browser: Material's worker indexes ``search/search_index.json``
with lunr.js and answers each query. This module does the same on a built site, step for
step, so a test can ask what a reader typing a word gets:

- indexing (Material's ``tokenize``): the text between HTML tags, split with the index's
  ``separator``, lower-cased, lunr's English stop words dropped (the index's ``pipeline`` is
  ``stopWordFilter`` alone: no stemming);
- the query (Material's ``transformSearchQuery``): split at spaces and hyphens, then with the
  ``separator``, each word a prefix (``word*``);
- scoring (lunr 2.3's BM25 with ``b = 0``, as Material sets it; field boosts from the index),
  then Material's boosts (a page's own entry counts double) and its grouping by page.

Only queries without lunr's syntax are supported: no ``+``, ``-``, ``~``, ``^`` or ``:`` (a
field name before it, for lunr: ``redis://`` finds nothing in the browser either).
``tests/docs/test_docs_search.py`` checks the answers against Material's own worker in node.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: lunr 2.3's English stop words (``lunr.stopWordFilter``).
_STOP_WORDS = (
    "a able about across after all almost also am among an and any are as at be because been "
    "but by can cannot could dear did do does either else ever every for from get got had has "
    "have he her hers him his how however i if in into is it its just least let like likely "
    "may me might most must my neither no nor not of off often on only or other our own rather "
    "said say says she should since so some than that the their them then there these they "
    "this tis to too twas us wants was we were what when where which while who whom why will "
    "with would yet you your"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())
#: lunr's query lexer splits terms at its original separator, whatever the index's is.
QUERY_LEXER_SEPARATOR = re.compile(r"[\s\-]+")
K1 = 1.2


def text_sections(value: str) -> list[str]:
    """Return the text between the HTML tags of ``value``, section by section (Material's
    ``extract``)."""
    sections, start = [], 0
    for end, char in enumerate(value):
        if char == "<" and end > start:
            sections.append(value[start:end])
            start = end
        elif char == ">":
            start = end + 1
    if len(value) > start:
        sections.append(value[start:])
    return sections


def split(text: str, separator: re.Pattern[str]) -> list[str]:
    """Return the non-empty pieces of ``text`` between ``separator``'s matches."""
    return [piece for piece in separator.split(text) if piece]


@dataclass
class Entry:
    """One entry of the index: a page (``parent`` is ``None``) or a section of one."""

    location: str
    fields: dict[str, dict[str, int]]  # field -> term -> frequency
    lengths: dict[str, int]
    boost: float
    parent: str | None

    @property
    def page(self) -> str:
        return self.parent if self.parent is not None else self.location


class SiteSearch:
    """The search of the site built in ``site_dir``."""

    def __init__(self, site_dir: Path) -> None:
        index: dict[str, Any] = json.loads((site_dir / "search" / "search_index.json").read_text())
        config = index["config"]
        assert config["lang"] == ["en"] and config["pipeline"] == ["stopWordFilter"], config
        self.separator = re.compile(config["separator"])
        self.field_boosts = {name: spec.get("boost", 1) for name, spec in config["fields"].items()}
        self.entries: list[Entry] = []
        articles: set[str] = set()
        for doc in index["docs"]:
            path = doc["location"].split("#")[0]
            parent = path if path in articles else None
            articles.add(path)
            fields, lengths = {}, {}
            for name in self.field_boosts:
                terms = self.terms(doc.get(name))
                fields[name], lengths[name] = _frequencies(terms), len(terms)
            boost = doc.get("boost") or 1
            self.entries.append(Entry(doc["location"], fields, lengths, boost, parent))
        self.vocabulary = sorted(
            {term for e in self.entries for f in e.fields.values() for term in f}
        )
        self.idf = self._idf()

    def terms(self, value: str | list[str] | None) -> list[str]:
        """Return the indexed terms of a field's value, in order."""
        values = [] if value is None else value if isinstance(value, list) else [value]
        return [
            token
            for item in values
            for section in text_sections(item)
            for token in (piece.lower() for piece in split(section, self.separator))
            if token not in STOP_WORDS
        ]

    def _idf(self) -> dict[str, float]:
        """lunr's idf: the documents with the term are counted once per field holding it."""
        holding: dict[str, int] = defaultdict(int)
        for entry in self.entries:
            for frequencies in entry.fields.values():
                for term in frequencies:
                    holding[term] += 1
        count = len(self.entries)
        return {t: math.log(1 + abs((count - n + 0.5) / (n + 0.5))) for t, n in holding.items()}

    def weight(self, entry: Entry, field: str, term: str) -> float:
        """The entry's field vector at ``term``: BM25 with ``b = 0``, to 3 decimals."""
        tf = entry.fields[field][term]
        score = self.idf[term] * (K1 + 1) * tf / (K1 + tf) * self.field_boosts[field] * entry.boost
        return math.floor(score * 1000 + 0.5) / 1000

    def query_terms(self, query: str) -> list[str]:
        """Return the prefixes a query searches for, as Material turns it into ``word*``s."""
        return [
            piece.lower()
            for part in query.split()
            for term in split(part, QUERY_LEXER_SEPARATOR)
            for piece in split(term, self.separator)
        ]

    def search(self, query: str) -> list[list[str]]:
        """Return the locations found, grouped by page as the search box lists them: the pages
        in order, each with its entries in order."""
        prefixes = self.query_terms(query)
        counts: dict[str, int] = defaultdict(int)  # the query vector: each expanded term
        for prefix in prefixes:
            for term in self.vocabulary:
                if term.startswith(prefix):
                    counts[term] += 1
        magnitude = math.sqrt(sum(value * value for value in counts.values()))
        scored = []
        for entry in self.entries:
            score, matched = 0.0, set()
            for field in self.field_boosts:
                hits = [term for term in counts if term in entry.fields[field]]
                if hits:
                    dot = sum(counts[t] * self.weight(entry, field, t) for t in hits)
                    score += dot / magnitude
                    matched |= set(hits)
            if not matched:
                continue
            found = sum(any(t.startswith(p) for t in matched) for p in set(prefixes))
            boost = (entry.parent is None) + found / len(set(prefixes))
            scored.append((score * (1 + boost**2), entry))
        scored.sort(key=lambda pair: -pair[0])
        groups: dict[str, list[str]] = {}
        for _, entry in scored:
            groups.setdefault(entry.page, []).append(entry.location)
        for page, locations in groups.items():  # every group has its page
            if page not in locations:
                locations.append(page)
        return list(groups.values())


def _frequencies(terms: list[str]) -> dict[str, int]:
    counted: dict[str, int] = defaultdict(int)
    for term in terms:
        counted[term] += 1
    return dict(counted)
