"""Settings of a site under a strict Content Security Policy (``runserver`` in
tests/docs/test_browser_csp.py); ``CSP_TEST_MODE`` picks the policy (tests/support/csp_site.py).

``static``: ``django.contrib.staticfiles`` installed, ``STATIC_URL`` set, policy
``default-src 'self'``. ``nonce``: no static files, no ``STATIC_URL``, and styles allowed by
the request's nonce. Django 6.0+ sends the policy with its own middleware (``SECURE_CSP``,
the ``csp`` context processor); older Django with ``csp_site.StrictPolicyMiddleware``.
"""

from importlib.util import find_spec

from tests.support.csp_site import MODE
from tests.support.settings import *  # noqa: F403
from tests.support.settings import INSTALLED_APPS, MIDDLEWARE, TEMPLATES, WRISTBAND_AUTH

DEBUG = True  # runserver serves the static files
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "tests.support.csp_urls"
WRISTBAND_AUTH = {**WRISTBAND_AUTH, "allow_logout_get": True}

if MODE == "static":
    INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.staticfiles"]
    STATIC_URL = "/static/"
else:
    STATIC_URL = None

if find_spec("django.middleware.csp") is not None:  # Django 6.0+
    from django.utils.csp import CSP

    MIDDLEWARE = [*MIDDLEWARE, "django.middleware.csp.ContentSecurityPolicyMiddleware"]
    SECURE_CSP = {"default-src": [CSP.SELF]}
    if MODE == "nonce":
        SECURE_CSP["style-src"] = [CSP.SELF, CSP.NONCE]
        options = TEMPLATES[0]["OPTIONS"]
        processors = [*options["context_processors"], "django.template.context_processors.csp"]
        TEMPLATES = [{**TEMPLATES[0], "OPTIONS": {**options, "context_processors": processors}}]
else:
    MIDDLEWARE = [*MIDDLEWARE, "tests.support.csp_site.StrictPolicyMiddleware"]
