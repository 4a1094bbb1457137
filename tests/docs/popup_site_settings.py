"""Settings of tests/docs/popup_site.py's site under ``runserver``, for
tests/docs/test_browser_popup.py.

Django's ``SecurityMiddleware`` sends its default ``Cross-Origin-Opener-Policy: same-origin``,
as in a new project. ``POPUP_CSP_MODE``: ``static`` (``django.contrib.staticfiles``, served by
``runserver`` in DEBUG) or ``nonce`` (no ``STATIC_URL``). ``POPUP_WRISTBAND_AUTH``: the
``WRISTBAND_AUTH`` for the test's fake Wristband, as JSON. ``POPUP_SQLITE_PATH``: the
database, migrated by the test.
"""

import json
import os

from tests.support.settings import *  # noqa: F403
from tests.support.settings import INSTALLED_APPS, MIDDLEWARE

DEBUG = True  # runserver serves the static files
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "tests.docs.popup_site"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["POPUP_SQLITE_PATH"]}
}
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tests.docs.popup_site.StrictPolicyMiddleware",
    *MIDDLEWARE,
]
WRISTBAND_AUTH = json.loads(os.environ["POPUP_WRISTBAND_AUTH"])

if os.environ["POPUP_CSP_MODE"] == "static":
    INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.staticfiles"]
    STATIC_URL = "/static/"
else:
    STATIC_URL = None
