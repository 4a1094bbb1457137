"""Two Django handlers in one process: ``/plain/`` without the auth middleware, the rest with.

One process serves both so that the baseline reads the very same session (a LocMem cache
lives in one process only). Every response carries ``Server-Timing: app;dur=<ms>``, the
time Django took, so that the runner can time logins server-side, and ``X-Bench-Queries``,
the SQL queries the request made.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.utils import override_settings
from django.urls import get_resolver

django.setup(set_prefix=False)
# Import the URLconf, and with it the auth package and its views, now: gunicorn --preload
# then forks workers that are all warm, as in a deployment that has served traffic.
get_resolver().url_patterns  # noqa: B018
protected_handler = WSGIHandler()
with override_settings(MIDDLEWARE=settings.PLAIN_MIDDLEWARE):
    plain_handler = WSGIHandler()  # loads its middleware chain from the overridden list

StartResponse = Callable[..., Any]


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    handler = plain_handler if environ["PATH_INFO"].startswith("/plain/") else protected_handler
    queries = QueryCounter()
    started = time.perf_counter()

    def timed_start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
        extra = [
            ("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.2f}"),
            ("X-Bench-Queries", str(queries.count)),
        ]
        return start_response(status, [*headers, *extra], *exc)

    with connection.execute_wrapper(queries):
        return handler(environ, timed_start_response)
