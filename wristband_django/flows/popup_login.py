"""Popup login: a login started with ``popup=1`` ends on the popup page, not on its return URL.

The Login endpoint's ``popup=1`` makes the login's return URL the popup page
(``wristband:popup_done``, mounted by ``wristband_django.urls``), which carries the return URL
in its own ``return_url``. Nothing else changes: the login state is the usual one, and the
popup page is simply where the login returns to, through Wristband's tenant discovery and the
callback's restarts alike. That page tells the window that opened the popup and closes, or
goes on to the return URL when there is no such window (``web.popup_done``).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.core.signals import setting_changed
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from wristband_django.conf import AuthConfig
from wristband_django.flows import return_urls
from wristband_django.wristband.browser_urls import with_query

logger = logging.getLogger(__name__)

#: The Login endpoint's parameter, and the one value that asks for a popup login.
PARAMETER = "popup"
ON = "1"
#: The popup page's URL name in ``wristband_django.urls``.
PAGE_URL_NAME = "wristband:popup_done"
#: The popup page's parameter for where to go without an opener.
RETURN_URL_PARAMETER = "return_url"


def requested(request: HttpRequest) -> bool:
    """Tell whether the Login request asks for a popup login (``popup=1``; any other value
    is ignored, as the Login endpoint ignores a hint that is too long)."""
    return request.GET.get(PARAMETER) == ON


#: The popup page's path (or ``None``: not mounted) by URLconf and script prefix: reversing
#: costs more than the rest of what a login checks here, and the answer cannot change
#: without a setting changing (which empties this).
_pages: dict[tuple[object, str], str | None] = {}
_MAX_PAGES = 32


def page_url() -> str | None:
    """Return the popup page's path, or ``None`` when the project does not mount it."""
    key = (get_urlconf(), get_script_prefix())
    if key not in _pages:
        if len(_pages) >= _MAX_PAGES:
            _pages.clear()
        try:
            _pages[key] = reverse(PAGE_URL_NAME)
        except NoReverseMatch:
            _pages[key] = None
    return _pages[key]


def _forget_pages(**kwargs: object) -> None:
    _pages.clear()


setting_changed.connect(_forget_pages, dispatch_uid="wristband_django.flows.popup_login")


def returns_to_page(return_url: str | None) -> bool:
    """Tell whether a login's return URL (checked or not) is the popup page: whether the
    login is a popup login."""
    page = page_url()
    if not return_url or page is None:
        return False
    try:
        return urlsplit(return_url).path == page
    except ValueError:  # not a URL ("http://[")
        return False


def is_popup_login(request: HttpRequest) -> bool:
    """Tell whether the Login request starts (or, back from Wristband's tenant discovery with
    the return URL in ``state``, goes on with) a popup login."""
    requested_url = return_urls.requested_return_url(request)
    return (requested(request) and page_url() is not None) or returns_to_page(requested_url)


def popup_return_url(
    request: HttpRequest, config: AuthConfig, return_url: str | None
) -> str | None:
    """Return the return URL of the login ``request`` starts.

    For a popup login, that is the popup page with ``return_url`` (already checked) in its
    query, or the bare popup page when both would not fit ``return_url_max_length`` (it then
    falls back to ``default_return_url``). Otherwise, and when the project does not mount the
    popup page, ``return_url`` unchanged."""
    value = request.GET.get(PARAMETER)
    if value and value != ON:
        logger.warning("Ignored popup=%.20r on the Login endpoint: only popup=1 asks for it", value)
    if not requested(request):
        return return_url
    page = page_url()
    if page is None:
        logger.warning(
            "popup=1, but no URL is named %s: include wristband_django.urls", PAGE_URL_NAME
        )
        return return_url
    if returns_to_page(return_url):  # already the popup page
        return return_url
    url = with_query(page, {RETURN_URL_PARAMETER: return_url})
    return url if len(url) <= config.return_url_max_length else page
