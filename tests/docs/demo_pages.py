"""What the demo's pages say, read in Chromium: their text, their times, their words, and the
scopes a login asked for (tests/docs/test_browser_e2e.py and test_browser_spa.py use them)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Any


def visible_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


def utc_clock(epoch_ms: int) -> str:
    """How the demo writes an epoch-ms time: ``10:42:05 UTC``."""
    return datetime.fromtimestamp(epoch_ms / 1000, timezone.utc).strftime("%H:%M:%S UTC")


def seconds_of_day(clock: str) -> int:
    hours, minutes, seconds = (int(n) for n in clock[:8].split(":"))
    return hours * 3600 + minutes * 60 + seconds


def assert_times_are_readable(driver: Any, token_ttl: int) -> None:
    """The token's expiry reads as a clock time a few seconds from now and a duration, and
    every epoch-ms number on the page (the API's raw JSON) is followed by its reading."""
    from selenium.webdriver.common.by import By

    expiry = driver.find_element(By.CSS_SELECTOR, "#expiry").text
    readable = re.fullmatch(r"(expires|expired) at (\d\d:\d\d:\d\d) UTC \((.+?)\).*", expiry)
    assert readable, expiry
    state, clock, relative = readable.groups()
    duration = r"(\d+ min )?\d+ s"
    assert re.fullmatch(f"in {duration}" if state == "expires" else f"{duration} ago", relative)
    now = utc_clock(int(time.time() * 1000))
    off = (seconds_of_day(clock) - seconds_of_day(now)) % 86400
    assert min(off, 86400 - off) <= token_ttl, (expiry, now)  # a few seconds from now
    text = visible_text(driver)
    for match in re.finditer(r"(?<!\d)(\d{13})(?!\d)(,?  // (\d\d:\d\d:\d\d UTC))?", text):
        assert match.group(3) == utc_clock(int(match.group(1))), f"bare epoch in:\n{text}"
    shown = re.search(r'"accessTokenExpiresAt": (\d{13})', text)
    if shown:  # the countdown is about the token the API just answered with
        assert f"at {utc_clock(int(shown.group(1)))} (" in expiry, (expiry, text)


#: Words the demo does not use: it says "log in", "log out" and "logged out" (Django's
#: words) and "tenant" (Wristband's).
OTHER_WORDS = re.compile(r"\bsign(s|ed|ing)?[- ]?(in|out)\b|\borgani[sz]ation", re.IGNORECASE)


def assert_demo_words(driver: Any) -> None:
    """The demo's page in ``driver`` speaks the demo's one vocabulary."""
    text = visible_text(driver)
    assert not OTHER_WORDS.search(text), text


def requested_scopes(driver: Any) -> set[str]:
    """On the fake's user picker: the scopes the login asked for (its authorize URL's)."""
    from urllib.parse import parse_qs, urlsplit

    (scope,) = parse_qs(urlsplit(driver.current_url).query)["scope"]
    return set(scope.split())
