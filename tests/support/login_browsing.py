"""A browser that logs in through every redirect: the app through Django's test client,
Wristband through the fake's own browser (its tenant discovery and login pages)."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from django.http import HttpResponse
from django.test import Client

from wristband_django.testing import FakeWristband
from wristband_django.testing.browser_protocol import AUTHORIZE_PATH

#: More redirects than any login takes: past this, the test reports a loop.
MAX_HOPS = 30


def browse(app: Client, fake: FakeWristband, url: str, user: str) -> tuple[HttpResponse, list[str]]:
    """Open ``url`` and follow every redirect; return the last answer and the hops' paths.

    At Wristband the user picks the acme tenant on the discovery page and logs in as
    ``user`` (an email) on the login page. A redirect to any other site fails the test."""
    wristband, hops = fake.new_browser(), []
    while len(hops) < MAX_HOPS:
        parts = urlsplit(url)
        hops.append(parts.path)
        if parts.port == fake.port and parts.path == AUTHORIZE_PATH:
            url = wristband.authorize(url, user)
        elif parts.port == fake.port:  # the tenant discovery page
            status, _, page = wristband.visit(url)
            assert status == 200, page
            links = re.findall(r'href="([^"]+)"', html.unescape(page))
            (url,) = [link for link in links if "tenant_name=acme" in link]
        else:
            assert parts.netloc in ("", "testserver"), f"sent to another site: {url}"
            response = app.get(f"{parts.path}?{parts.query}")
            if response.status_code != 302:
                return response, hops
            url = response["Location"]
    raise AssertionError(f"a login loop: {hops}")
