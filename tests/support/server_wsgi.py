"""The WSGI app the tests' gunicorn servers run: the test settings' Django app, each answer
marked with the ``TEST_SERVER_ID`` it was started with, so a readiness check knows it reached
its own server and not another one on the same port."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.server_settings")
django_application = get_wsgi_application()
SERVER_ID = os.environ.get("TEST_SERVER_ID", "")


def application(environ, start_response):  # type: ignore[no-untyped-def]
    """Django's answer, with an ``X-Test-Server`` header naming this server."""

    def marked_start_response(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
        return start_response(status, [*headers, ("X-Test-Server", SERVER_ID)], exc_info)

    return django_application(environ, marked_start_response)
