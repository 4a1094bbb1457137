"""Make the docs' screenshots of the demo (``docs/demo-*.png``) in headless Chromium, from the
demo as it is now and with its own access tokens (35 s, a refresh every 30 s)::

    python -m tests.docs.demo_screenshots            # into docs/
    python -m tests.docs.demo_screenshots --out DIR  # elsewhere, to compare first

It needs what the browser tests need (Chromium, chromium-driver, the test extra) and takes
about a minute: the after-refresh screenshot waits for a token to expire. The README and
docs/index.md show these files (tests/docs/test_demo_screenshots.py keeps the lists equal).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.docs.test_browser_e2e import click, demo_server, headless_chromium, wait_for

ROOT = Path(__file__).resolve().parents[2]


def after_refresh_and_logged_out(driver: Any, scratch: Path, out: Path) -> None:
    """The Django-rendered page after a transparent refresh, then where logout lands."""
    with demo_server(scratch, subdomains=False, token_ttl=None) as (port, _):
        driver.get(f"http://localhost:{port}/")
        click(driver, "#login-acme")
        wait_for(driver, "body", text="Ada Lovelace")
        driver.find_element("partial link text", "Ada Lovelace").click()
        wait_for(driver, "#expiry", text="expires at")
        wait_for(driver, "#expiry", text="expired at", timeout=45)  # the token's 30 s
        click(driver, "#call-api")
        wait_for(driver, "#api-note", text="the middleware refreshed it at")
        driver.save_screenshot(str(out / "demo-after-refresh.png"))
        click(driver, "#logout-everywhere")
        wait_for(driver, "#logged-out", text="You are logged out.")
        driver.save_screenshot(str(out / "demo-signed-out.png"))


def fake_wristband_login(driver: Any, scratch: Path, out: Path) -> None:
    """The fake Wristband's user picker, for Globex's site (tenant subdomains)."""
    with demo_server(scratch, subdomains=True, token_ttl=None) as (port, _):
        driver.get(f"http://globex.localhost:{port}/")
        click(driver, "#login")
        wait_for(driver, "body", text="Hank Scorpio")
        driver.save_screenshot(str(out / "demo-fake-wristband-login.png"))


#: Each screenshot, by file name, and what makes it.
SCREENSHOTS: dict[str, Callable[[Any, Path, Path], None]] = {
    "demo-after-refresh.png": after_refresh_and_logged_out,
    "demo-signed-out.png": after_refresh_and_logged_out,
    "demo-fake-wristband-login.png": fake_wristband_login,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("::")[0].strip())
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="default: docs/")
    out = parser.parse_args(argv).out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as scratch,
        headless_chromium(Path(scratch) / "profile") as driver,
    ):
        driver.set_window_size(1000, 1060)  # the after-refresh page, whole
        for make in dict.fromkeys(SCREENSHOTS.values()):  # each once, in order
            make(driver, Path(scratch), out)
    for name in SCREENSHOTS:
        print(out / name)


if __name__ == "__main__":
    main()
