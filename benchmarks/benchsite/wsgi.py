"""Two Django handlers in one process: ``/plain/`` without the auth middleware, the rest with.

One process serves both so that the baseline reads the very same session (a LocMem cache
lives in one process only). Where the URLconf has ``plain_urlpatterns`` (h's), the plain
handler resolves there and the other in ``urlpatterns`` (``handler_urlconfs``). Every
response carries ``Server-Timing: app;dur=<ms>``, the time Django took, so that the runner
can time logins server-side, and ``X-Bench-Queries``, the SQL queries the request made.
``/bench/counters/`` (answered here, not by Django) gives the process's counts so far:
requests, responses that set the session cookie, and per handler (``plain``,
``protected``) the requests it handled and the CPU time they took.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.db import connection
from django.test.utils import override_settings
from django.urls import get_resolver

from benchsite.handler_urlconfs import handler_urlconfs

django.setup(set_prefix=False)
# Import the URLconf, and with it the auth package and its views, now: gunicorn --preload
# then forks workers that are all warm, as in a deployment that has served traffic.
get_resolver().url_patterns  # noqa: B018
protected_handler = WSGIHandler()
with override_settings(MIDDLEWARE=settings.PLAIN_MIDDLEWARE):
    plain_handler = WSGIHandler()  # loads its middleware chain from the overridden list


URLCONFS = handler_urlconfs(settings.ROOT_URLCONF)  # h's, where the URLconf has them
if URLCONFS is not None:
    protected_handler.request_class = type("Request", (WSGIRequest,), {"urlconf": URLCONFS[0]})
    plain_handler.request_class = type("Request", (WSGIRequest,), {"urlconf": URLCONFS[1]})

StartResponse = Callable[..., Any]
SESSION_COOKIE_PREFIX = f"{settings.SESSION_COOKIE_NAME}="
#: This process's counts (one sync worker per measured server: one process, one thread),
#: and the CPU time Django's handlers took, for ``/plain/`` and for the rest (h).
COUNTERS: dict[str, float] = {"requests": 0, "session_cookies": 0}
COUNTERS.update(dict.fromkeys(("plain_handled", "plain_cpu_seconds"), 0))
COUNTERS.update(dict.fromkeys(("protected_handled", "protected_cpu_seconds"), 0))


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/bench/counters/":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(COUNTERS).encode()]
    handler = plain_handler if environ["PATH_INFO"].startswith("/plain/") else protected_handler
    queries = QueryCounter()
    started = time.perf_counter()

    def timed_start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
        COUNTERS["requests"] += 1
        COUNTERS["session_cookies"] += any(
            name == "Set-Cookie" and value.lstrip().startswith(SESSION_COOKIE_PREFIX)
            for name, value in headers
        )
        extra = [
            ("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.2f}"),
            ("X-Bench-Queries", str(queries.count)),
        ]
        return start_response(status, [*headers, *extra], *exc)

    cpu_started = time.process_time()
    with connection.execute_wrapper(queries):
        response = handler(environ, timed_start_response)
    kind = "plain" if handler is plain_handler else "protected"
    return HandlerTimed(response, kind, time.process_time() - cpu_started)


class HandlerTimed:
    """The response, whose ``close()`` (Django's end of the request: ``request_finished``,
    then the request's objects freed) is timed too and added to its handler's CPU time."""

    def __init__(self, response: Any, kind: str, cpu_seconds: float) -> None:
        self.response: Any = response
        self.kind, self.cpu_seconds = kind, cpu_seconds

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.response)

    def close(self) -> None:
        started = time.process_time()
        self.response.close()
        self.response = None  # the last reference: the request's objects go now, timed
        COUNTERS[f"{self.kind}_cpu_seconds"] += self.cpu_seconds + time.process_time() - started
        COUNTERS[f"{self.kind}_handled"] += 1
