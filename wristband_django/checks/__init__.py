"""System checks (``manage.py check``): settings mistakes found at startup, not at login.

Plain functions: ``WristbandConfig.ready()`` registers them (tag ``wristband``), so importing
this package registers nothing. The cache check and the check of plain-http login URLs are
deployment checks (``check --deploy``): a LocMem cache and http are fine for ``runserver``
and tests.
"""

from wristband_django.checks.base import (
    TAG,
    check_debug_only_flags,
    check_logout_csrf,
    check_middleware,
    check_settings,
)
from wristband_django.checks.django_users import check_django_user_integration
from wristband_django.checks.official_settings import check_official_settings
from wristband_django.checks.production import check_http_login_urls
from wristband_django.checks.stores import (
    check_lock_cache_alias,
    check_sessions,
    check_shared_caches,
)

__all__ = [
    "TAG",
    "check_debug_only_flags",
    "check_django_user_integration",
    "check_http_login_urls",
    "check_lock_cache_alias",
    "check_logout_csrf",
    "check_middleware",
    "check_official_settings",
    "check_sessions",
    "check_settings",
    "check_shared_caches",
]
