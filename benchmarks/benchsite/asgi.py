"""The ASGI twin of ``wsgi.py``, for uvicorn: ``/plain/`` without the auth middleware, the
rest with, in one process, and an async version of the view.

``/api/ahello/`` and ``/plain/ahello/`` are ``ahello``, the view of ``views.py`` written
``async def`` (the session read through ``request.session.aget``); ``/api/hello/`` and
``/plain/hello/`` stay the sync view, which Django runs in a thread. This module is the
URLconf under ASGI: the package's own URLs plus the async routes, which only our package
gets (wristband-django-auth's decorator is sync-only: it would hand Django the coroutine).

As in ``wsgi.py``, every response carries ``Server-Timing: app;dur=<ms>`` and
``X-Bench-Queries`` (SQL queries the request made, wherever Django ran them: the counter
lives in a context variable, which ``sync_to_async`` carries into its threads), and
``/bench/counters/`` gives the process's counts. With ``BENCH_READY_DIR`` set, each process
writes an empty file named after its pid there once it can serve, so that the runner knows
when every one of uvicorn's ``--workers`` is up.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from importlib import import_module
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")

import django
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.db.backends.signals import connection_created
from django.http import HttpRequest, JsonResponse
from django.test.utils import override_settings
from django.urls import get_resolver, path

from benchsite.handler_urlconfs import handler_urlconfs

django.setup(set_prefix=False)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def ahello(request: HttpRequest) -> JsonResponse:
    """``views.hello``, async, for our package: the session read without blocking the loop
    (``aget``), then the user id from our sealed entry (``session_entry.load``, which
    opens each stored value once per process, so no more I/O and no decryption here)."""
    from wristband_django.store import session_entry  # our package's venv only

    await request.session.aget(session_entry.SESSION_KEY)  # loads the session
    entry = session_entry.load(request.session)
    return JsonResponse({"hello": entry.user_id if entry is not None else None})


urls_root = settings.ROOT_URLCONF
urlpatterns = list(import_module(urls_root).urlpatterns)
if settings.PACKAGE == "ours":  # protected by protected_paths=["/api/"], like /api/hello/
    urlpatterns += [path("api/ahello/", ahello), path("plain/ahello/", ahello)]
# Before any request and before the handlers exist: every request then resolves here.
settings.ROOT_URLCONF = __name__
get_resolver().url_patterns  # noqa: B018  (import the package and its views now, as wsgi.py)

protected_handler = ASGIHandler()
with override_settings(MIDDLEWARE=settings.PLAIN_MIDDLEWARE):
    plain_handler = ASGIHandler()  # loads its middleware chain from the overridden list


URLCONFS = handler_urlconfs(urls_root)  # h's, where the URLconf has them
if URLCONFS is not None:
    protected_handler.request_class = type("Request", (ASGIRequest,), {"urlconf": URLCONFS[0]})
    plain_handler.request_class = type("Request", (ASGIRequest,), {"urlconf": URLCONFS[1]})

SESSION_COOKIE_PREFIX = f"{settings.SESSION_COOKIE_NAME}=".encode()
#: This process's counts (one event loop: no lock needed), and the CPU time Django's
#: handlers took, for ``/plain/`` and for the rest: a request's own only when one is served
#: at a time (h's interleaved runs use one connection).
COUNTERS: dict[str, float] = {"requests": 0, "session_cookies": 0}
COUNTERS.update(dict.fromkeys(("plain_handled", "plain_cpu_seconds"), 0))
COUNTERS.update(dict.fromkeys(("protected_handled", "protected_cpu_seconds"), 0))
#: The current request's SQL query count, seen from every thread Django runs it in.
QUERIES: ContextVar[list[int] | None] = ContextVar("bench_queries", default=None)


def count_query(execute: Callable[..., Any], *args: Any) -> Any:
    counter = QUERIES.get()
    if counter is not None:
        counter[0] += 1
    return execute(*args)


def wrap_connection(connection: Any, **_: Any) -> None:
    """Each thread has its own connection objects: count the queries of every one."""
    if count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(count_query)


connection_created.connect(wrap_connection)


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return await protected_handler(scope, receive, send)  # raises: HTTP only
    if scope["path"] == "/bench/counters/":
        body = json.dumps(COUNTERS).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return None
    handler = plain_handler if scope["path"].startswith("/plain/") else protected_handler
    queries = [0]
    QUERIES.set(queries)  # this task's context: the handler's threads get a copy of it
    started = time.perf_counter()

    async def timed_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            COUNTERS["requests"] += 1
            COUNTERS["session_cookies"] += any(
                name.lower() == b"set-cookie" and value.lstrip().startswith(SESSION_COOKIE_PREFIX)
                for name, value in headers
            )
            headers += [
                (
                    b"server-timing",
                    f"app;dur={(time.perf_counter() - started) * 1000:.2f}".encode(),
                ),
                (b"x-bench-queries", str(queries[0]).encode()),
            ]
            message = {**message, "headers": headers}
        await send(message)

    kind = "plain" if handler is plain_handler else "protected"
    cpu_started = time.process_time()
    await handler(scope, receive, timed_send)
    COUNTERS[f"{kind}_cpu_seconds"] += time.process_time() - cpu_started
    COUNTERS[f"{kind}_handled"] += 1
    return None


if "BENCH_READY_DIR" in os.environ:
    (Path(os.environ["BENCH_READY_DIR"]) / str(os.getpid())).touch()
