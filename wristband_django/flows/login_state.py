"""The login-state cookies: what the callback needs to finish a login, encrypted and authenticated.

Each pending login has a cookie of its own, named after its ``state`` (``login#`` and 16
characters of a hash of it), so logins started at the same moment in several tabs never
write the same cookie. A browser keeps at most three: whenever a login starts or finishes,
the oldest beyond three (and any that cannot be opened, or has expired) are removed, and each
cookie stays within a third of ``login_cookie_budget`` bytes of the Cookie header. What a
cookie holds, and how it is sealed, is ``flows.sealed_login_state``'s ``LoginState``.
A login state's cookie is the host's own, except an application-level login's with tenant
subdomains: its callback comes back on the subdomain of the tenant Wristband chose, so its
cookie is the root domain's (``Domain``), and it is removed with that domain.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from dataclasses import replace

from django.http import HttpRequest, HttpResponse

from wristband_django.flows.sealed_login_state import (
    COOKIE_PREFIX,
    MAX_AGE_SECONDS,
    MAX_CLOCK_SKEW_SECONDS,
    LoginState,
    cookie_name,
    decrypt,
    encrypt,
    restarts_in_state,
)

#: Importable from here as before (the login state and its sealing moved beside).
__all__ = [
    "COOKIE_PREFIX",
    "MAX_AGE_SECONDS",
    "MAX_CLOCK_SKEW_SECONDS",
    "MAX_PENDING_LOGINS",
    "LoginState",
    "clear_cookie",
    "cookie_bytes",
    "cookie_name",
    "decrypt",
    "encrypt",
    "newest_restarts",
    "read_cookie",
    "restarts_in_state",
    "set_cookie",
    "slot_budget",
]

logger = logging.getLogger(__name__)

MAX_PENDING_LOGINS = 3
#: "; " between two cookies in the Cookie header.
_SEPARATOR_BYTES = 2


def cookie_bytes(cookie_name: str, value: str) -> int:
    """Return the bytes one cookie adds to the browser's Cookie header."""
    return len(cookie_name) + 1 + len(value) + _SEPARATOR_BYTES


def slot_budget(total_budget: int) -> int:
    """Return the bytes one login's cookie may use so that three fit in ``total_budget``."""
    return total_budget // MAX_PENDING_LOGINS


#: Where a request keeps the login states its cookies opened to (``_read``).
_OPENED = "_wristband_login_states"


def _read(
    request: HttpRequest, name: str, secrets_: Sequence[str]
) -> tuple[LoginState | None, str | None]:
    """Return the unexpired login state in the cookie ``name`` (if it is ours under that name),
    and the ``Domain`` the cookie was set with (``None``: the host's own, or not known).
    Each cookie is opened once per request and secrets."""
    value = request.COOKIES.get(name)
    if not value:
        return None, None
    opened_here = request.__dict__.setdefault(_OPENED, {})
    key = (name, value, tuple(secrets_))
    if key not in opened_here:
        opened_here[key] = decrypt(value, name, secrets_)
    opened = opened_here[key]
    if opened is None or opened.cookie_name != name:
        return None, None
    return (None if opened.is_expired() else opened), opened.cookie_domain


def _open(request: HttpRequest, name: str, secrets_: Sequence[str]) -> LoginState | None:
    """Return the unexpired login state in the cookie ``name``, if it is ours under that name."""
    return _read(request, name, secrets_)[0]


def _sent(
    request: HttpRequest, secrets_: Sequence[str]
) -> dict[str, tuple[LoginState | None, str | None]]:
    """Return each login-state cookie the browser sent, by name, with its login state and its
    cookie's ``Domain`` (as ``_read`` tells them).

    The login state is ``None`` for a cookie that is tampered, expired, foreign or an older
    release's."""
    return {
        name: _read(request, name, secrets_)
        for name in request.COOKIES
        if name.startswith(COOKIE_PREFIX)
    }


def _delete(response: HttpResponse, name: str, domain: str | None) -> None:
    """Expire the login-state cookie ``name`` (set for ``domain``, or for the host)."""
    response.delete_cookie(name, path="/", domain=domain, samesite="Lax")


def newest_restarts(request: HttpRequest, secrets_: Sequence[str]) -> int:
    """Return the restart count of the browser's newest pending login (0 if there is none)."""
    pending = [s for s, _ in _sent(request, secrets_).values() if s is not None]
    return max(pending, key=lambda s: s.created_at_ms).restarts if pending else 0


def _prune(
    request: HttpRequest, response: HttpResponse, secrets_: Sequence[str], *, keep: int, skip: str
) -> None:
    """Expire the login-state cookies beyond the newest ``keep`` the browser sent (and every
    one that is not an unexpired login state of ours), leaving ``skip`` to the caller."""
    pending: list[tuple[int, str, str | None]] = []
    for name, (login_state, domain) in _sent(request, secrets_).items():
        if name == skip:
            continue
        if login_state is None:
            _delete(response, name, domain)
        else:
            pending.append((login_state.created_at_ms, name, domain))
    for _, name, domain in sorted(pending, reverse=True)[keep:]:
        _delete(response, name, domain)


def set_cookie(
    request: HttpRequest,
    response: HttpResponse,
    login_state: LoginState,
    secrets_: Sequence[str],
    *,
    secure: bool,
    budget: int,
) -> LoginState:
    """Store ``login_state`` in a cookie of its own, and remove the oldest beyond three;
    returns what was stored.

    A return URL that would push the cookie past its share of ``budget`` is dropped (the
    login lands on the default return URL). The rest of a login state always fits: its
    other parts are bounded (custom state is at most ``MAX_CUSTOM_STATE_BYTES``).
    """
    name = login_state.cookie_name
    value = encrypt(login_state, name, secrets_)
    if cookie_bytes(name, value) > slot_budget(budget) and login_state.return_url:
        logger.info("Dropping a return URL: the login state would not fit its cookie budget")
        login_state = replace(login_state, return_url=None)
        value = encrypt(login_state, name, secrets_)
    if cookie_bytes(name, value) > slot_budget(budget):
        raise ValueError("the login state does not fit in its cookie; shorten custom state")
    _prune(request, response, secrets_, keep=MAX_PENDING_LOGINS - 1, skip=name)
    response.set_cookie(
        name,
        value,
        max_age=MAX_AGE_SECONDS,
        path="/",
        domain=login_state.cookie_domain,
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
    return login_state


def read_cookie(request: HttpRequest, state: str, secrets_: Sequence[str]) -> LoginState | None:
    """Return the unexpired login state whose ``state`` is ``state``, from browser cookies."""
    login_state = _open(request, cookie_name(state), secrets_)
    if login_state is None or not hmac.compare_digest(login_state.state, state):
        return None
    return login_state


def clear_cookie(
    request: HttpRequest, response: HttpResponse, state: str, secrets_: Sequence[str]
) -> None:
    """Expire the cookie of the login identified by ``state``, and the oldest beyond three."""
    name = cookie_name(state)
    if name in request.COOKIES:
        _delete(response, name, _read(request, name, secrets_)[1])
    _prune(request, response, secrets_, keep=MAX_PENDING_LOGINS, skip=name)
