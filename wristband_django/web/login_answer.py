"""The Login endpoint's answer to a login it started.

That is the redirect to Wristband (or its tenant discovery page) with the login-state cookie.
In development (``DEBUG``), a login started on another origin than its ``redirect_uri``'s gets
a page instead, which says why the login would not come back here and offers the same login
on the callback's origin; the cookie is set as for the redirect, so "continue anyway" works
where the origins only look different (a proxy Django does not trust, say).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wristband_django.conf import AuthConfig
from wristband_django.flows import login_origins, popup_login
from wristband_django.flows import login_state as login_state_cookie
from wristband_django.flows.login import LoginStart, callback_url
from wristband_django.web.endpoint import Redirect
from wristband_django.web.popup_done import keep_opener
from wristband_django.wristband.auto_configuration import SdkConfiguration

#: The page a login started on another origin than its callback's gets in DEBUG.
OTHER_ORIGIN_TEMPLATE = "wristband_django/login_other_origin.html"


def login_answer(
    request: HttpRequest,
    config: AuthConfig,
    sdk: SdkConfiguration,
    start: LoginStart,
    *,
    other_origin_template: str = OTHER_ORIGIN_TEMPLATE,
) -> HttpResponse:
    """Return the answer to the login ``start``: the redirect, or in DEBUG the page for a
    login whose callback is on another origin; either sets the login-state cookie. A popup
    login's answer keeps the popup its opener's (``web.popup_done.keep_opener``)."""
    login_state = start.login_state
    mismatch = None
    # A cookie for the root domain goes with an application-level login in subdomain mode,
    # whose redirect URI keeps its {tenant_name}: no single origin to compare with.
    if settings.DEBUG and login_state is not None and login_state.cookie_domain is None:
        mismatch = login_origins.origin_mismatch(request, callback_url(sdk, login_state))
    if mismatch is None:
        response: HttpResponse = Redirect(start.redirect_url)
    else:
        login_origins.warn(mismatch)
        context = {"mismatch": mismatch, "continue_url": start.redirect_url}
        response = render(request, other_origin_template, context)
    if login_state is not None:
        login_state_cookie.set_cookie(
            request,
            response,
            login_state,
            config.login_state_secrets,
            secure=not config.dangerously_disable_secure_cookies,
            budget=config.login_cookie_budget,
        )
    return keep_opener(response, popup=popup_login.is_popup_login(request))
