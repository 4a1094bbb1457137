"""What the fake's browser-facing endpoints and the browsers a test drives agree on.

A login completes without a human: `FakeWristband.authorize()` and `FakeBrowser` send the
user (or an error) in these headers, percent-encoded; the user picker's links carry the
same choice in query parameters. Wristband's own session at the fake is a cookie on the
tenant host.
"""

from __future__ import annotations

from urllib.parse import quote

AUTHORIZE_PATH = "/api/v1/oauth2/authorize"
USER_HEADER = "X-Fake-Wristband-User"
ERROR_HEADER = "X-Fake-Wristband-Error"
ERROR_DESCRIPTION_HEADER = "X-Fake-Wristband-Error-Description"
USER_PARAM = "fake_wristband_user"
ERROR_PARAM = "fake_wristband_error"
#: The user reference that picks the tenant's first user.
ANY_USER = "*"
#: The browser's session at the fake (Wristband's own session): a cookie on the tenant host.
SESSION_COOKIE = "fake_wristband_session"


def error_headers(error: str | None, error_description: str | None) -> dict[str, str]:
    """Return the headers that make the fake's authorize endpoint fail a login with
    ``error`` (and ``error_description``); none without an ``error``."""
    if not error:
        return {}
    headers = {ERROR_HEADER: quote(error, safe="")}
    if error_description:
        headers[ERROR_DESCRIPTION_HEADER] = quote(error_description, safe="")
    return headers
