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
    """One ``WRISTBAND_AUTH`` key: how its value is checked, what it means, and an example.

    ``description`` is Markdown: the documentation's configuration reference is generated
    from this table (``docs/hooks/settings_reference.py``), links relative to that page.
    ``default`` is the default as the reference shows it, for a key whose ``AuthConfig``
    field default does not tell the whole story or which has no field of its own; otherwise
    the reference shows the field's default (required keys show "required").
    ``example`` is a value as a ``settings.py`` writes it (Python source, e.g. ``["/api/"]``,
    or ``os.environ["..."]`` for a secret), which the check of a wrong value shows and the
    reference lists; every example parses (``tests/conf/test_setting_examples.py``).
    """

    parse: Callable[[str, Any], Any]
    description: str
    default: str | None = None
    example: str = ""

    def example_line(self, key: str) -> str:
        """Return the example as a line of the settings dict: ``"key": value``."""
        return f'"{key}": {self.example}'
