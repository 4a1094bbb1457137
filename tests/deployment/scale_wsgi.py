"""The WSGI application of the scale-out app servers (tests/deployment/scale_harness.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.deployment.scale_settings")
application = get_wsgi_application()
