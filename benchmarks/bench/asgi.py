"""a and b under ASGI: the protected view and the refresh storm served by uvicorn.

The same scenarios as under gunicorn (``scenarios.throughput`` and ``scenarios.storm``),
with ``benchsite/asgi.py`` under uvicorn (uvloop, httptools) and the view written
``async def``: one uvicorn process for a, ``--storm-workers`` processes for b. Only our
package: wristband-django-auth 1.1.0 has no async support (its session decorator calls the
view and returns what it returns, so an ``async def`` view hands Django an unawaited
coroutine; its Wristband client is httpx's sync one). The section is written between the
``benchmark-asgi`` markers of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version

from bench.report import STORE_NAMES, plain_vs_protected, table, targets
from bench.scenarios import Bench, Options, Storm, Throughput, storm, throughput

ASGI_START, ASGI_END = "<!-- benchmark-asgi:start -->", "<!-- benchmark-asgi:end -->"
PACKAGE = "ours"
SERVER = "uvicorn"
#: The views a measures: the async one (``benchsite.asgi.ahello``), and with
#: ``--asgi-sync-view`` also the sync one, which Django runs in a thread under ASGI.
ASYNC_VIEW, SYNC_VIEW = "ahello", "hello"
VIEW_NAMES = {ASYNC_VIEW: "`async def`", SYNC_VIEW: "sync (in a thread)"}
VIEW_LABELS = {ASYNC_VIEW: " (async view)", SYNC_VIEW: " (sync view)"}  # in the targets


@dataclass
class AsgiResults:
    runs: list[Throughput] = field(default_factory=list)
    storm: Storm | None = None


def run(bench: Bench, stores: Sequence[str], views: Sequence[str]) -> AsgiResults:
    """a on each of ``stores`` for each of ``views``, then b (Redis, the async view)."""
    results = AsgiResults()
    for store in stores:
        for view in views:
            print(f"… {PACKAGE} on {store}, ASGI, {view}", file=sys.stderr, flush=True)
            results.runs.append(
                throughput(
                    bench, PACKAGE, store, server_kind=SERVER, view=view, session_bytes=False
                )
            )
    print(f"… {PACKAGE} refresh storm, ASGI", file=sys.stderr, flush=True)
    results.storm = storm(bench, PACKAGE, server_kind=SERVER, view=ASYNC_VIEW)
    return results


def render(machine_line: str, options: Options, results: AsgiResults) -> str:
    """The section between the ``benchmark-asgi`` markers."""
    servers = ", ".join(f"{name} {version(name)}" for name in ("uvicorn", "uvloop", "httptools"))
    lines = [f"Measured {machine_line.removesuffix('.')}, {servers}.", ""]
    if results.runs:
        lines += views_section(options, results.runs)
    if results.storm is not None:
        lines += storm_section(options, results.storm)
    lines += ["### Targets under ASGI (wristband-django on Redis, uvicorn)", ""]
    redis_runs = [run for run in results.runs if run.store == "redis"]
    for run in redis_runs:
        label = VIEW_LABELS[run.view] if len(redis_runs) > 1 else ""
        lines += targets(run, None, label)
    lines += targets(None, results.storm)
    return "\n".join(lines) + "\n"


def views_section(options: Options, runs: list[Throughput]) -> list[str]:
    header = [
        "sessions", "view", "plain req/s", "protected req/s", "protected / plain",
        "p50 ms plain → protected", "p99 ms plain → protected",
        "worker CPU µs/req plain → protected",
        "store round trips/req plain → protected", "IdP calls", "failed requests",
    ]  # fmt: skip
    rows = [
        [
            STORE_NAMES[run.store],
            VIEW_NAMES[run.view],
            *plain_vs_protected(run),
        ]
        for run in runs
    ]
    return [
        f"### a-asgi. Protected JSON view with a valid access token, under uvicorn "
        f"(wristband-django; 1 uvicorn process, uvloop, httptools; wrk: 1 thread, "
        f"{options.connections} connections, {options.rounds} runs of {options.duration:g} s "
        f"per view, each after {options.warmup:g} s of warm-up)",
        "",
        "The columns are table a's. *view*: `async def` reads the session with "
        "`await request.session.aget()`"
        + (
            "; the sync view is table a's, which Django runs in a thread under ASGI. "
            if any(run.view == SYNC_VIEW for run in runs)
            else ". "
        )
        + "*plain*: the same view reading the same session through a second ASGI handler "
        "without the auth middleware, in the same process. *worker CPU*: the uvicorn "
        "process's, all its threads. wristband-django-auth 1.1.0 is not run under ASGI: it "
        "has no async support (its session decorator returns the view's coroutine unawaited; "
        "its Wristband client is sync).",
        "",
        *table(header, rows),
    ]


def storm_section(options: Options, result: Storm) -> list[str]:
    header = [
        "token calls", "replayed refresh tokens", "answers", "non-200", "p50 ms", "p99 ms",
        "next refresh",
    ]  # fmt: skip
    row = [
        result.token_calls,
        result.replayed_refresh_tokens,
        ", ".join(f"{n} x {status}" for status, n in sorted(result.statuses.items())),
        result.requests - result.statuses[200],
        f"{result.p50_ms:.0f}",
        f"{result.p99_ms:.0f}",
        result.next_refresh_status,
    ]
    return [
        f"### b-asgi. Refresh storm under uvicorn: {options.storm_requests} concurrent "
        f"requests on one session whose access token has expired (wristband-django, "
        f"`async def` view, Redis sessions, {options.storm_workers} uvicorn worker processes, "
        f"refresh-token rotation on, the fake answers a refresh after "
        f"{options.refresh_delay * 1000:.0f} ms)",
        "",
        "The columns are table b's. Each uvicorn process serves its requests concurrently on "
        "one event loop, and Django runs each request's sync work (the middleware's refresh "
        "included) in a thread of that request's own.",
        "",
        *table(header, [row]),
    ]
