"""The page a popup login ends on (``popup=1`` on the Login endpoint; ``flows.popup_login``).

The page posts a message to the window that opened the popup, to this site's origin only,
and closes: ``{"type": "login_success"}``, the message Wristband's React SDK 3.2 documents
for its ``validateSession()`` after a popup login, or ``{"type": "login_failure", "error":
"login_required"}`` when a silent login (``prompt=none``) found no Wristband session. The
message says that the popup is done, nothing more: the opener asks the Session endpoint who
is logged in. Without an opener (a blocked popup opened as a tab, a link) the page goes on
to the login's return URL instead.

A login that fails at the callback shows the error page in the popup, as any login does.

Every answer of a popup login (the Login endpoint's, the Callback endpoint's, this page) is
sent with ``Cross-Origin-Opener-Policy: unsafe-none`` (``keep_opener``): the browser checks
that policy on each answer, redirects included, and under ``same-origin``, the default of
Django's ``SecurityMiddleware``, it cuts the popup off from its opener on the way to
Wristband's pages or back.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wristband_django.flows import popup_login, return_urls
from wristband_django.flows.login import LOGIN_OUTCOME_PARAMETER, NOT_LOGGED_IN, not_logged_in_url
from wristband_django.flows.login_state import LoginState
from wristband_django.web.endpoint import WristbandView
from wristband_django.web.login_not_required import LoginNotRequiredMixin

#: The messages' ``type``.
LOGIN_SUCCESS = "login_success"
LOGIN_FAILURE = "login_failure"
#: The opener policy of a popup login's answers: the popup stays its opener's.
OPENER_POLICY = "unsafe-none"


def keep_opener(response: HttpResponse, *, popup: bool) -> HttpResponse:
    """Return ``response``; for a ``popup`` login, sent with ``Cross-Origin-Opener-Policy:
    unsafe-none``, so that the popup stays its opener's (``SecurityMiddleware`` only sets
    the header where a response has none)."""
    if popup:
        response["Cross-Origin-Opener-Policy"] = OPENER_POLICY
    return response


def keep_callback_opener(response: HttpResponse, login_state: LoginState | None) -> HttpResponse:
    """Return the Callback endpoint's ``response`` for the login ``login_state``, keeping
    the popup's opener if it is a popup login (its return URL is the popup page)."""
    popup = login_state is not None and popup_login.returns_to_page(login_state.return_url)
    return keep_opener(response, popup=popup)


def own_origin(request: HttpRequest) -> str:
    """Return this site's origin as Django sees ``request``: its scheme (``is_secure()``,
    which trusts ``SECURE_PROXY_SSL_HEADER``) and its host as ``ALLOWED_HOSTS`` admits it
    (``get_host()``), lower-cased as a browser serialises an origin."""
    return f"{request.scheme}://{request.get_host()}".lower()


class PopupDoneView(LoginNotRequiredMixin, WristbandView):
    """Tells the window that opened the login's popup that the login is done, then closes.

    Not cached, and exempt from ``LoginRequiredMiddleware`` like the other endpoints. Its
    script is the static file ``wristband_django/popup_done.js``, or (without
    ``STATIC_URL``) the same inline with the request's CSP nonce. The page is the template
    ``wristband_django/popup_done.html``."""

    template_name = "wristband_django/popup_done.html"

    def get_deadline(self) -> float | None:
        """Return ``None``: the page calls no one."""
        return None

    def get_return_url(self) -> str:
        """Return where the page goes without an opener: its ``return_url`` if that passes
        the Login endpoint's checks (this site or ``allowed_return_url_hosts``), else
        ``default_return_url``."""
        requested = self.request.GET.get(popup_login.RETURN_URL_PARAMETER)
        safe = return_urls.safe_return_url(self.request, self.config, requested)
        return safe or self.config.default_return_url

    def get_message(self) -> dict[str, Any]:
        """Return the message for the opener: a success, or the failure of a silent login."""
        if self.request.GET.get(LOGIN_OUTCOME_PARAMETER) == NOT_LOGGED_IN:
            return {"type": LOGIN_FAILURE, "error": "login_required"}
        return {"type": LOGIN_SUCCESS}

    def get(self, request: HttpRequest) -> HttpResponse:
        message = self.get_message()
        return_url = self.get_return_url()
        if message["type"] == LOGIN_FAILURE:  # as the same login without a popup would land
            return_url = not_logged_in_url(return_url, self.config.default_return_url)
        context = {
            "target_origin": own_origin(request),
            "message_type": message["type"],
            "error": message.get("error", ""),
            "return_url": return_url,
        }
        return keep_opener(render(request, self.template_name, context), popup=True)
