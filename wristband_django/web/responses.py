"""The answers front ends rely on when there is no usable session, and the login URL in them.

The ``error`` of a JSON answer is a machine-readable code and is never translated; its
``error_description``, for people, is in the active language (as Django REST framework's
``detail``).

The login URL is found without the ``wristband`` URL namespace, so a project that mounts
subclassed views under its own names gets a working one: the configured (or
auto-configured) ``login_url``, with the tenant of a tenant subdomain filled in; if that
cannot be had, ``reverse("wristband:login")``, else ``/``. Never an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext, ngettext

from wristband_django.conf import fill_tenant_placeholder, get_config, has_tenant_placeholder
from wristband_django.errors import WristbandError
from wristband_django.wristband.auto_configuration import get_sdk_configuration
from wristband_django.wristband.browser_urls import with_query
from wristband_django.wristband.tenants import subdomain_tenant

logger = logging.getLogger(__name__)

RETURN_URL_PARAMETER = "return_url"


def _configured_login_url(request: HttpRequest) -> str | None:
    """Return ``login_url`` (manual, else auto-configured) for this request's tenant, if any.

    Auto-configuration is asked only for what the settings lack, and it caches and backs
    off on its own."""
    try:
        config = get_config()
        url, root_domain = config.login_url, config.parse_tenant_from_root_domain
        if url is None or (has_tenant_placeholder(url) and root_domain is None):
            sdk = get_sdk_configuration(config)
            url, root_domain = sdk.login_url, sdk.parse_tenant_from_root_domain
    except (WristbandError, ImproperlyConfigured) as exc:
        logger.info("No login_url for the login link (%s); using a fallback", type(exc).__name__)
        return None
    if not has_tenant_placeholder(url):
        return url
    tenant = subdomain_tenant(request, root_domain)
    return fill_tenant_placeholder(url, tenant) if tenant else None


def login_url(request: HttpRequest, url: str | None = None) -> str:
    """Return the absolute URL of the Login endpoint for ``request``.

    ``url`` (a URL, a path or a URL pattern name, as Django's ``resolve_url`` takes) wins;
    without it: the configured login URL, else ``reverse("wristband:login")``, else ``/``.
    """
    if url is not None:
        return request.build_absolute_uri(resolve_url(url))
    configured = _configured_login_url(request)
    if configured is not None:
        return configured
    try:
        return request.build_absolute_uri(reverse("wristband:login"))
    except NoReverseMatch:
        return request.build_absolute_uri("/")


def redirect_to_login(
    request: HttpRequest,
    url: str | None = None,
    redirect_field_name: str | None = RETURN_URL_PARAMETER,
) -> HttpResponseRedirect:
    """Return a redirect to the Login endpoint that comes back to this request's page.

    Like Django's ``redirect_to_login``: when the Login endpoint is on this scheme and host,
    the redirect and the return URL are paths, else both are absolute (the Login endpoint
    still checks the return URL).
    """
    target = urlsplit(login_url(request, url))
    here = urlsplit(request.build_absolute_uri())
    same_site = (target.scheme, target.netloc) == (here.scheme, here.netloc)
    location = target._replace(scheme="", netloc="").geturl() if same_site else target.geturl()
    if not redirect_field_name:
        return HttpResponseRedirect(location)
    return_url = request.get_full_path() if same_site else here.geturl()
    return HttpResponseRedirect(with_query(location, {redirect_field_name: return_url}))


def unauthorized(
    request: HttpRequest, url: str | None = None, *, bearer_challenge: bool = False
) -> JsonResponse:
    """Return a 401 ``{"error": "unauthorized", "loginUrl": ...}`` asking to log in again.

    See docs/front-ends.md; ``url`` is as for ``login_url``. With ``bearer_challenge``, the
    response also carries ``WWW-Authenticate: Bearer`` (RFC 6750's answer to a request
    without a token, where a bearer token would do)."""
    body = {"error": "unauthorized", "loginUrl": login_url(request, url)}
    headers = {"WWW-Authenticate": "Bearer"} if bearer_challenge else None
    return _never_cached(JsonResponse(body, status=401, headers=headers))


def forbidden() -> JsonResponse:
    """Return a 403 for a caller that is authenticated but has none of the roles this needs."""
    body = {"error": "forbidden", "error_description": gettext("You lack the role this needs.")}
    return _never_cached(JsonResponse(body, status=403))


def missing_scopes_description(missing: Sequence[str]) -> str:
    """Return the sentence (translated) telling a caller which scopes it lacks."""
    return ngettext(
        "You lack the scope this needs: %(scopes)s.",
        "You lack the scopes this needs: %(scopes)s.",
        len(missing),
    ) % {"scopes": " ".join(missing)}


def insufficient_scope_challenge(required: Sequence[str]) -> str:
    """Return RFC 6750's ``Bearer error="insufficient_scope", scope="..."``: every scope the
    resource needs (scope names hold no ``"`` or backslash, see ``web.guards.checked_scopes``)."""
    return f'Bearer error="insufficient_scope", scope="{" ".join(required)}"'


def insufficient_scope(
    required: Sequence[str], missing: Sequence[str], *, bearer: bool
) -> JsonResponse:
    """Return a 403 for a caller granted some of the ``required`` scopes but not ``missing``.

    The body names them: ``error_description`` the missing ones, ``scope`` every required
    one. A bearer caller (``bearer``) gets ``{"error": "insufficient_scope"}`` and RFC 6750's
    ``WWW-Authenticate: Bearer error="insufficient_scope", scope="..."``; a session caller
    the ``{"error": "forbidden"}`` of a missing role."""
    body = {
        "error": "insufficient_scope" if bearer else "forbidden",
        "error_description": missing_scopes_description(missing),
        "scope": " ".join(required),
    }
    headers = {"WWW-Authenticate": insufficient_scope_challenge(required)} if bearer else None
    return _never_cached(JsonResponse(body, status=403, headers=headers))


def _never_cached(response: JsonResponse) -> JsonResponse:
    add_never_cache_headers(response)
    return response


def error_response(error: WristbandError) -> JsonResponse:
    """Return the JSON answer to ``error``, as its class describes it: its ``status_code``,
    the ``error`` and ``error_description`` a client may see, and ``WWW-Authenticate`` and
    ``Retry-After`` where the class has them; never cached. The one place that renders an
    error of this app as an API answer (the DRF and django-ninja adapters read the same
    attributes)."""
    body = {"error": error.shown_error, "error_description": error.shown_description}
    headers = {}
    if error.www_authenticate is not None:
        headers["WWW-Authenticate"] = error.www_authenticate
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return _never_cached(JsonResponse(body, status=error.status_code, headers=headers or None))


def log_refusal(error: WristbandError) -> None:
    """Log why a request could not be authenticated: at ERROR an outage (the store or
    Wristband: ours to fix), at WARNING anything else (a bad token: the caller's), the level
    of Django's own "Unauthorized" record for the same 401, which a developer sees without
    configuring logging. The message holds the error's code and description (which check
    failed, or which claim is missing), which never contain a token or a claim's value."""
    level = logging.ERROR if error.status_code >= 500 else logging.WARNING
    logger.log(level, "Cannot authenticate this request: %s (%s)", error.error,
               error.error_description or error.shown_error)  # fmt: skip


def step_up_required(login_url: str, max_age: int, *, bearer: bool = False) -> JsonResponse:
    """Return a 401 asking for a step-up: the caller authenticated over ``max_age`` s ago.

    ``login_url`` is the Login endpoint asking for ``max_age`` and coming back. A session
    caller gets ``{"error": "login_required", "maxAge", "loginUrl"}``; a bearer caller
    (``bearer``) gets RFC 9470's ``WWW-Authenticate: Bearer
    error="insufficient_user_authentication", max_age=...`` with the same body, its
    ``error`` being ``insufficient_user_authentication``.
    """
    error = "insufficient_user_authentication" if bearer else "login_required"
    body = {
        "error": error,
        "error_description": ngettext(
            "This needs a login within the last %(max_age)d second.",
            "This needs a login within the last %(max_age)d seconds.",
            max_age,
        )
        % {"max_age": max_age},
        "maxAge": max_age,
        "loginUrl": login_url,
    }
    headers = {"WWW-Authenticate": f'Bearer error="{error}", max_age={max_age}'} if bearer else None
    return _never_cached(JsonResponse(body, status=401, headers=headers))
