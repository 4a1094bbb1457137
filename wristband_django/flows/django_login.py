"""Optional: a Django user behind each Wristband session (``authenticate_django_user``)
and each person's bearer token (``bearer_django_user``).

Off by default, and then nothing here imports ``django.contrib.auth``. On, the callback
logs the user in with ``WristbandBackend`` (``request.user``, ``login_required``,
permissions and the admin work), and whenever the Wristband session ends the Django login
ends with it. A bearer token's Django user is found by the ``user_adapter`` setting's class,
named by its path as the backend is.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.utils.module_loading import import_string

from wristband_django.conf import AuthConfig, get_config
from wristband_django.errors import InvalidAccessTokenError
from wristband_django.store import django_internals
from wristband_django.types import AccessTokenClaims, WristbandSession, WristbandUser

BACKEND = "wristband_django.backends.WristbandBackend"
AUTH_BACKEND_SESSION_KEY = "_auth_user_backend"  # django.contrib.auth's, without importing it
#: Where a request keeps its bearer token's caller (``token_caller``), or its refusal.
_TOKEN_CALLER = "_wristband_token_caller"  # noqa: S105 (an attribute name)


def log_in_django_user(request: HttpRequest, entry: WristbandSession) -> bool:
    """Log the matching Django user in; False if the adapter refused (inactive user...)."""
    if not get_config().authenticate_django_user:
        return True
    from django.contrib.auth import authenticate, login

    user = authenticate(request, wristband_session=entry)
    if user is None:
        return False
    login(request, user, backend=BACKEND)
    return True


def is_django_login(session: SessionBase) -> bool:
    """Tell whether this session's Django login came from Wristband."""
    return bool(session.get(AUTH_BACKEND_SESSION_KEY) == BACKEND)


def end_django_login(request: HttpRequest) -> None:
    """End the session; with the Django user integration, through ``auth.logout``."""
    if get_config().authenticate_django_user and hasattr(request, "user"):
        from django.contrib.auth import logout

        logout(request)  # flushes the session, sends user_logged_out
    else:
        request.session.flush()


def hide_django_user(request: HttpRequest) -> None:
    """Make ``request.user`` anonymous for this request when Wristband logged it in: for a
    session refused on another tenant's host, which stays as it is. A Django login of
    another backend (the admin's password login) is left."""
    session = getattr(request, "session", None)
    if session is None or not is_django_login(session):
        return
    from django.contrib.auth.models import AnonymousUser

    django_internals.set_request_user(request, AnonymousUser())


def token_caller(
    request: HttpRequest,
    claims: AccessTokenClaims,
    wristband_user: WristbandUser,
    config: AuthConfig | None = None,
) -> object:
    """Return who ``request.user`` is for the bearer token ``claims``: ``wristband_user``,
    or with ``bearer_django_user`` a person's Django user, which the ``user_adapter``
    setting's class finds (never creates) in one query. The answer is kept for the rest of
    the request (``config``: the settings, when the caller has them at hand).

    A machine-to-machine token keeps its ``WristbandUser``. A person without an active
    Django user here is refused (``InvalidAccessTokenError``, 401), as Django refuses an
    inactive user's login and DRF's token authentication an inactive or deleted user's token.
    """
    found = request.__dict__.get(_TOKEN_CALLER)
    if found is None:
        config = config or get_config()
        if not config.bearer_django_user or claims.is_machine:
            found = wristband_user
        else:
            user = import_string(config.user_adapter)().find_user(claims.user_id)
            found = user if user is not None and getattr(user, "is_active", True) else False
        request.__dict__[_TOKEN_CALLER] = found
    if found is False:
        raise InvalidAccessTokenError("the token's user has no active Django user here")
    return found
