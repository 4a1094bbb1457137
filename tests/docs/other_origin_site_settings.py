"""Settings of the strict-CSP site (``tests.support.csp_settings``) for the page a login
started on another origin gets in DEBUG (``tests/docs/test_browser_csp_other_origin.py``):
the same site, with the login and callback URLs on ``https://app.test`` and no
auto-configuration, so the Login endpoint answers without calling Wristband."""

from tests.support.csp_settings import *  # noqa: F403
from tests.support.csp_settings import WRISTBAND_AUTH

WRISTBAND_AUTH = {**WRISTBAND_AUTH, "auto_configure_enabled": False}
