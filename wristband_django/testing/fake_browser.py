"""`FakeBrowser`: one person's browser at the fake's pages, driven by a test over HTTP."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Mapping
from http.cookies import SimpleCookie
from urllib.parse import quote, urlsplit

from .browser_protocol import AUTHORIZE_PATH, USER_HEADER, error_headers


class FakeBrowser:
    """One person's browser at the fake's pages (`FakeWristband.new_browser()`).

    It keeps the cookies the fake sets, so Wristband's session lives on between logins:
    ``prompt=none`` logs in silently once this browser has logged in, ``max_age`` and
    ``prompt=login`` ask again for credentials. (`FakeWristband.authorize()` is a new
    browser each time, whose user always enters credentials.)
    """

    def __init__(self, connect: Callable[[], http.client.HTTPConnection]) -> None:
        self._connect = connect
        #: Cookies by host name (ports ignored, as browsers do): name -> value.
        self.cookies: dict[str, dict[str, str]] = {}

    def authorize(
        self,
        authorize_url: str,
        user: str | None = None,
        *,
        error: str | None = None,
        error_description: str | None = None,
    ) -> str:
        """Visit `authorize_url` and return where the fake redirects (the app's callback).

        If the fake shows its login page (the user picker), `user` (sub or email) enters
        their credentials there; without `user` that is an AssertionError, so a test can
        tell a silent login from one that asked. With `error`, the login fails with it.
        """
        if urlsplit(authorize_url).path != AUTHORIZE_PATH:
            raise AssertionError(f"not a Wristband authorize URL: {authorize_url}")
        headers = error_headers(error, error_description)
        status, location, body = self.visit_authorize(authorize_url, headers)
        if status == 200 and not error:  # the login (or tenant discovery) page: user wanted
            if user is None:
                raise AssertionError("fake Wristband showed its login page (pass user=)")
            credentials = {USER_HEADER: quote(user, safe="")}
            status, location, body = self.visit_authorize(authorize_url, credentials)
        if status == 302 and location:
            return location
        raise AssertionError(
            f"fake Wristband rejected the authorize request (HTTP {status}): {body[:500]}"
        )

    def visit_authorize(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, str | None, str]:
        """GET the authorize URL ``url`` as ``visit`` does, and follow the fake's redirect from
        the application vanity domain to the chosen tenant's authorize endpoint (tenant
        discovery), with the same headers; return the last answer.

        In the user header (or the picker's parameter) the user names themself, at the
        application-level page as at the tenant's: their tenant is the one chosen."""
        status, location, body = self.visit(url, headers)
        if status == 302 and location and _is_next_authorize(url, location):
            return self.visit(location, headers)
        return status, location, body

    def log_out(self, logout_url: str) -> str:
        """Visit Wristband's logout URL, which ends its session, and return where it redirects."""
        status, location, body = self.visit(logout_url)
        if status == 302 and location:
            return location
        raise AssertionError(f"fake Wristband rejected the logout (HTTP {status}): {body[:500]}")

    def visit(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, str | None, str]:
        """GET `url` at the fake, and return the status, the Location header and the body.

        The request carries this browser's cookies for the host, and the browser keeps the
        cookies the answer sets.
        """
        parts = urlsplit(url)
        hostname = parts.hostname or ""
        sent = {"Host": parts.netloc, **(headers or {})}
        jar = self.cookies.get(hostname, {})
        if jar:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        connection = self._connect()
        try:
            connection.request("GET", f"{parts.path}?{parts.query}", headers=sent)
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            self._keep(hostname, header)
        return response.status, response.getheader("Location"), body

    def _keep(self, hostname: str, header: str) -> None:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        jar = self.cookies.setdefault(hostname, {})
        for name, morsel in cookie.items():
            if morsel["max-age"] in ("0", 0) or not morsel.value:
                jar.pop(name, None)
            else:
                jar[name] = morsel.value


def _is_next_authorize(url: str, location: str) -> bool:
    """Tell whether ``location`` is the fake's own authorize endpoint (on the same port as
    ``url``): where tenant discovery sends the browser, not the app's callback."""
    here, there = urlsplit(url), urlsplit(location)
    return there.path == AUTHORIZE_PATH and there.port == here.port
