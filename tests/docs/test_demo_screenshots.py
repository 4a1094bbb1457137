"""The demo's screenshots in the README and the docs are the ones
``python -m tests.docs.demo_screenshots`` makes, so regenerating them refreshes every one."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from tests.docs.demo_screenshots import SCREENSHOTS

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def shown_demo_images() -> dict[str, set[str]]:
    """Each ``demo-*.png`` a page shows, with the alt texts it is shown with."""
    shown: dict[str, set[str]] = {}
    for page in PAGES:
        for alt, target in re.findall(r"!\[([^\]]*)\]\(([^)\s]+)\)", page.read_text()):
            name = Path(target).name
            if name.startswith("demo-"):
                assert (page.parent / target).resolve() == ROOT / "docs" / name, target
                shown.setdefault(name, set()).add(alt)
    return shown


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_pages_show_the_screenshots_the_script_makes() -> None:
    shown = shown_demo_images()
    assert set(shown) == set(SCREENSHOTS)
    assert {p.name for p in (ROOT / "docs").glob("demo-*.png")} == set(SCREENSHOTS)
    for name, alts in shown.items():
        assert all(alt.strip() for alt in alts), name  # each described for who cannot see it
        width, _ = png_size(ROOT / "docs" / name)
        assert width == 1000, name  # the script's window


def test_no_alt_text_speaks_another_vocabulary() -> None:
    for name, alts in shown_demo_images().items():
        for alt in alts:
            assert not re.search(r"\bsign(ed)?[- ]?(in|out)\b", alt, re.IGNORECASE), (name, alt)
