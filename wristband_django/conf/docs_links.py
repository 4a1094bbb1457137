"""Links to the documentation site, for messages a user reads outside it.

Check hints, ``wristband_check`` and the error pages point to a page of the published site
(``mkdocs.yml``'s ``site_url``) by its full URL, never to a path in this repository, which a
user of the installed package does not have. ``tests/docs/test_docs_links.py`` checks that
every link the package makes leads to a page and heading of ``docs/``.
"""

from __future__ import annotations

#: Where the documentation site is published (``site_url`` in ``mkdocs.yml``).
DOCS_URL = "https://wristband-django.readthedocs.io/en/latest/"


def docs_url(page: str, anchor: str = "") -> str:
    """Return the published URL of the docs page ``page`` (its file name without ``.md``,
    e.g. ``"configuration"``), at the heading ``anchor`` when given."""
    url = DOCS_URL if page == "index" else f"{DOCS_URL}{page}/"
    return f"{url}#{anchor}" if anchor else url
