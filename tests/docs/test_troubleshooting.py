"""The troubleshooting page: what newcomers hit, each as what you see, why and what to do,
and its blocks do what it says (a login lands where ``default_return_url`` says, and the
command it names is this package's)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import get_commands
from django.test import Client

from tests.docs.docs_blocks import code, splice
from tests.docs.test_docs_links import page_anchors
from tests.support.auth_helpers import log_in
from wristband_django.testing import FakeWristband

PAGE = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"
TEXT = PAGE.read_text()

#: What the page must answer: the issue's list of what newcomers hit, by heading anchor.
NEWCOMERS_HIT = [
    "a-404-page-right-after-logging-in",
    "session_store_unavailable",
    "invalid_client",
    "the-login-starts-over-on-another-host-or-port",
    "127001-versus-localhost",
    "http-urls-in-production",
    "the-login-state-cookie-is-dropped-on-plain-http",
    "a-django-rest-framework-view-answers-401-or-403",
]


def sections() -> dict[str, str]:
    """The page's ``###`` sections: heading -> text."""
    parts = re.split(r"^### (.+)$", TEXT, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_the_page_answers_what_newcomers_hit() -> None:
    assert set(NEWCOMERS_HIT) <= page_anchors(PAGE)


@pytest.mark.parametrize("heading", sorted(sections()))
def test_each_section_says_what_you_see_why_and_what_to_do(heading: str) -> None:
    text = sections()[heading]
    positions = [text.find(part) for part in ("**What you see.**", "**Why.**", "**What to do.**")]
    assert -1 not in positions and positions == sorted(positions), heading


def test_the_check_it_names_is_this_packages_command() -> None:
    assert code("troubleshooting:check") == "python manage.py wristband_check\n"
    assert get_commands()["wristband_check"] == "wristband_django"


def test_a_login_lands_on_the_default_return_url_it_sets(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    fixed = splice(code("troubleshooting:return-url"), {"WRISTBAND_AUTH": settings.WRISTBAND_AUTH})
    settings.WRISTBAND_AUTH = fixed["WRISTBAND_AUTH"]
    landed = log_in(client, wristband, "tenant_name=acme")  # no return URL asked for
    assert landed.status_code == 302 and landed["Location"] == "/auth/session/"
    assert client.get(landed["Location"]).status_code == 200  # a page, not a 404
