"""The site of tests/docs/test_browser_popup.py: this app's endpoints and a single-page app's
page that logs in in a popup with docs/front-ends.md's block, under a strict Content Security
Policy whose violations are reported to the site itself.

``POPUP_CSP_MODE`` (an environment variable, see popup_site_settings.py) picks the policy:
``static``, ``default-src 'self'`` with static files; ``nonce``, no static files and
``script-src``/``style-src`` ``'self' 'nonce-...'``. Every policy reports its violations
(``report-uri``) to ``/csp-reports/``, which appends them to the file ``POPUP_CSP_REPORTS``:
the test reads what every window saw, also a popup that has closed itself.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt

from tests.docs.docs_blocks import code

MODE = os.environ.get("POPUP_CSP_MODE", "static")
REPORTS = os.environ.get("POPUP_CSP_REPORTS", "")
#: What the opener page sends: a popup it opens stays its popup (Django's default,
#: ``same-origin``, would cut it off as it goes to Wristband).
OPENER_POLICY = "same-origin-allow-popups"


class StrictPolicyMiddleware:
    """Send ``default-src 'self'``, in ``nonce`` mode with the request's nonce for scripts and
    styles (``request.csp_nonce``, as django-csp offers it), reporting to ``/csp-reports/``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        policy = "default-src 'self'"
        if MODE == "nonce":
            nonce = secrets.token_urlsafe(16)
            request.csp_nonce = nonce  # type: ignore[attr-defined]
            policy += f"; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'"
        response = self.get_response(request)
        response["Content-Security-Policy"] = f"{policy}; report-uri /csp-reports/"
        return response


@csrf_exempt
def csp_reports(request: HttpRequest) -> HttpResponse:
    """Append a violation report (one JSON line) to the reports file."""
    report = json.loads(request.body)["csp-report"]
    line = json.dumps({key: report.get(key) for key in ("document-uri", "violated-directive")})
    with open(REPORTS, "a", encoding="utf-8") as reports:
        reports.write(line + "\n")
    return HttpResponse(status=204)


OPENER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The SPA</title></head>
<body>
  <h1>The SPA</h1>
  <button id="login" type="button">Log in in a popup</button>
  <p>Message: <span id="message">none yet</span></p>
  <p>Session: <span id="session">unknown</span></p>
  <script src="/opener.js"></script>
</body></html>
"""
#: The page's own code: every message this window receives is recorded (``window.received``)
#: beside what the documented ``logIn()`` returns.
OPENER_GLUE = """
window.received = [];
window.addEventListener("message", (event) => {
  window.received.push({origin: event.origin, data: event.data});
});
document.getElementById("login").addEventListener("click", async () => {
  const message = await logInInPopup(document.body.dataset.loginUrl || "/auth/login/");
  document.getElementById("message").textContent = JSON.stringify(message);
  if (message?.type === "login_success") {
    const session = await fetch("/auth/session/", {credentials: "same-origin"});
    document.getElementById("session").textContent = session.ok
      ? `${(await session.json()).userId} logged in`
      : `HTTP ${session.status}`;
  }
});
"""


def opener_page(request: HttpRequest) -> HttpResponse:
    """The SPA's page, sent with ``same-origin-allow-popups`` (``?coop=default``: with
    Django's default); ``?login_url=`` sets the Login endpoint it opens (else ours)."""
    page = OPENER_PAGE
    login_url = request.GET.get("login_url")
    if login_url:
        page = page.replace("<body>", f'<body data-login-url="{escape(login_url)}">')
    response = HttpResponse(page)
    if request.GET.get("coop") != "default":  # else SecurityMiddleware's same-origin
        response["Cross-Origin-Opener-Policy"] = OPENER_POLICY
    return response


def opener_script(request: HttpRequest) -> HttpResponse:
    """The page's script: the documented block as written, then the page's own code."""
    script = code("front-ends:popup") + "\n" + OPENER_GLUE
    return HttpResponse(script, content_type="text/javascript")


def inline_script(request: HttpRequest) -> HttpResponse:
    """A page with a plain inline ``<script>``, which every policy here blocks: the test's
    proof that a violation is reported when there is one."""
    return HttpResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Inline</title>'
        "</head><body><h1>Inline</h1><script>document.title = 'ran';</script></body></html>"
    )


urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("opener/", opener_page),
    path("opener.js", opener_script),
    path("inline-script/", inline_script),
    path("csp-reports/", csp_reports),
]
