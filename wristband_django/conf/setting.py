"""``Setting``: one row of the ``WRISTBAND_AUTH`` table (``conf.parsing.SETTINGS``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Setting",
]


@dataclass(frozen=True)
class Setting:
    """One ``WRISTBAND_AUTH`` key: how its value is checked, and what it means.

    ``description`` is Markdown: the documentation's configuration reference is generated
    from this table (``docs/hooks/settings_reference.py``), links relative to that page.
    ``default`` is the default as the reference shows it, for a key whose ``AuthConfig``
    field default does not tell the whole story or which has no field of its own; otherwise
    the reference shows the field's default (required keys show "required").
    """

    parse: Callable[[str, Any], Any]
    description: str
    default: str | None = None
