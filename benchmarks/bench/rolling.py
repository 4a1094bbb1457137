"""f. Rolling sessions: the protected view on one session with no rolling expiry, with Django's
``SESSION_SAVE_EVERY_REQUEST``, and with ``session_rolling_interval``, in one run.

One gunicorn server (one sync worker, Redis sessions) per variant, all started before the
first measurement and measured in turn, the order reversed every round, so that the
variants share the machine's ups and downs. The refresh lock and the newest-tokens record
live on a second Redis of the run's own (``lock_cache_alias``): the sessions' Redis then
holds sessions only, and its ``SET`` count is the number of session writes.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.infra import RedisServer, Server, WrkResult, gunicorn, wrk
from bench.scenarios import Bench, Options, ViewStats, check_views, log_in


@dataclass(frozen=True)
class Variant:
    name: str
    label: str  # Markdown
    auth: dict[str, Any]  # more WRISTBAND_AUTH keys
    env: dict[str, str]  # more BENCH_* variables (benchsite/settings.py)
    interval: int | None = None  # session_rolling_interval


VARIANTS = (
    Variant("none", "no rolling expiry (the default)", {}, {}),
    Variant("every", "`SESSION_SAVE_EVERY_REQUEST = True`", {}, {"BENCH_SAVE_EVERY_REQUEST": "1"}),
    Variant("60", "`session_rolling_interval = 60`", {"session_rolling_interval": 60}, {}, 60),
    Variant("1", "`session_rolling_interval = 1`", {"session_rolling_interval": 1}, {}, 1),
)
LOCK_ALIAS = "locks"


@dataclass
class RollingStats:
    variant: Variant
    view: ViewStats = field(default_factory=ViewStats)  # Redis commands: the sessions' server
    lock_commands: Counter[str] = field(default_factory=Counter)
    session_cookies: int = 0  # responses that set the session cookie, during the runs
    #: Responses the server sent during the runs: wrk's count, give or take the few
    #: requests in flight when a run starts or ends, which the store counts too.
    served: int = 0
    cpu_us_per_run: list[float] = field(default_factory=list)  # worker CPU µs/request

    def against(self, first: RollingStats) -> tuple[float, float]:
        """Median over the rounds of (req/s / the first variant's) and of (CPU µs/request
        minus the first variant's): each round's runs are close in time, so the machine's
        drift (a shared machine's neighbours) weighs less than in the totals' ratio."""
        runs = zip(self.view.runs, first.view.runs, strict=True)
        cpu = zip(self.cpu_us_per_run, first.cpu_us_per_run, strict=True)
        return (
            statistics.median(mine.rps / theirs.rps for mine, theirs in runs),
            statistics.median(mine - theirs for mine, theirs in cpu),
        )

    @property
    def session_writes(self) -> int:
        return self.view.commands["set"]

    def per_request(self, count: int) -> float:
        return count / self.served

    @property
    def most_rolls(self) -> int | None:
        """The most writes one per interval allows in the measured runs (None: no bound)."""
        interval = self.variant.interval
        if interval is None:
            return None
        return sum(math.floor(run.seconds / interval) + 1 for run in self.view.runs)


def counters(server: Server) -> dict[str, int]:
    answer = requests.get(f"{server.base}/bench/counters/", timeout=10)
    return {name: int(n) for name, n in answer.json().items()}


def delta(after: dict[str, int], before: dict[str, int]) -> Counter[str]:
    changed = Counter({name: n - before.get(name, 0) for name, n in after.items()})
    return changed - Counter()  # drop the zeros


def rolling(bench: Bench) -> list[RollingStats]:
    """Every variant in turn, ``rounds`` times, on servers started side by side."""
    options = bench.options
    locks = RedisServer(bench.work)
    try:
        with ExitStack() as stack:
            servers: dict[str, tuple[Server, str]] = {}
            for variant in VARIANTS:
                env, port = bench.server(
                    "ours",
                    "redis",
                    workers=1,
                    name=f"ours-rolling-{variant.name}",
                    auth={"lock_cache_alias": LOCK_ALIAS, **variant.auth},
                    env={"BENCH_LOCK_REDIS_URL": locks.url, **variant.env},
                )
                log = bench.work / f"gunicorn-ours-rolling-{variant.name}.log"
                server = stack.enter_context(gunicorn("ours", port, env, workers=1, log=log))
                cookie = log_in(bench, server.base).cookie
                check_views(server.base, cookie)
                servers[variant.name] = (server, cookie)
            results = [RollingStats(variant) for variant in VARIANTS]
            for round_number in range(options.rounds):
                for stats in results if round_number % 2 == 0 else results[::-1]:
                    server, cookie = servers[stats.variant.name]
                    measure(bench, server, cookie, stats, locks)
    finally:
        locks.stop()
    return results


def measure(
    bench: Bench, server: Server, cookie: str, stats: RollingStats, locks: RedisServer
) -> None:
    """One warm-up and one measured wrk run on the protected view, with every count."""
    options: Options = bench.options
    url = f"{server.base}/api/hello/"
    wrk(url, cookie, options.warmup, options.connections)
    bench.fake.reset_records()
    # The server's counters first: its one worker answers them after any request still in
    # flight, so that the store's counts and the server's cover the same requests.
    counted_before = counters(server)
    sessions_before, locks_before = bench.redis.command_calls(), locks.command_calls()
    cpu_before = server.workers_cpu_seconds()
    run: WrkResult = wrk(url, cookie, options.duration, options.connections)
    counted = delta(counters(server), counted_before)
    cpu_seconds = server.workers_cpu_seconds() - cpu_before
    stats.view.cpu_seconds += cpu_seconds
    stats.cpu_us_per_run.append(cpu_seconds / run.requests * 1e6)
    stats.view.commands.update(delta(bench.redis.command_calls(), sessions_before))
    stats.lock_commands.update(delta(locks.command_calls(), locks_before))
    stats.view.runs.append(run)
    stats.view.idp_calls += len(bench.fake.requests)
    stats.session_cookies += counted["session_cookies"]
    stats.served += counted["requests"]


def render(machine_line: str, options: Options, results: list[RollingStats]) -> str:
    """The section between the ``benchmark-rolling`` markers of docs/PERFORMANCE.md."""
    first = next(r for r in results if r.variant.name == "none")
    header = [
        "expiry", "req/s", "req/s of each run, min to max", "/ no rolling", "p50 ms", "p99 ms",
        "worker CPU µs/req (vs no rolling)",
        "sessions' Redis, commands/req", "lock cache, commands/req",
        "session writes per 1,000 req", "session Set-Cookies per 1,000 req",
        "writes one per interval allows", "IdP calls", "failed requests",
    ]  # fmt: skip
    rows = []
    for stats in results:
        view = stats.view
        bound = stats.most_rolls
        ratio, cpu_difference = stats.against(first)
        rows.append(
            [
                stats.variant.label,
                f"{view.rps:,.0f}",
                f"{min(r.rps for r in view.runs):,.0f} to {max(r.rps for r in view.runs):,.0f}",
                f"{ratio:.3f} ({(ratio - 1) * 100:+.1f}%)",
                f"{view.p50_ms:.2f}",
                f"{view.p99_ms:.2f}",
                f"{view.cpu_us_per_request:.0f} ({cpu_difference:+.0f})",
                _commands(stats.view.commands, stats.served),
                _commands(stats.lock_commands, stats.served),
                f"{stats.per_request(stats.session_writes) * 1000:,.2f} ({stats.session_writes:,})",
                f"{stats.per_request(stats.session_cookies) * 1000:,.2f} "
                f"({stats.session_cookies:,})",
                "—" if bound is None else f"≤ {bound}",
                view.idp_calls,
                view.failures,
            ]
        )
    lines = [
        f"Measured {machine_line}",
        "",
        f"### f. Rolling sessions: the protected view on one session (Redis sessions through "
        f"django-redis, 1 sync gunicorn worker per variant; wrk: 1 thread, "
        f"{options.connections} connections, {options.rounds} runs of {options.duration:g} s "
        f"per variant, each after {options.warmup:g} s of warm-up, variants in turn and the "
        "order reversed every round)",
        "",
        "*/ no rolling*: requests/s against the first row: the median over the rounds of "
        "each round's ratio (a round measures every variant once, in a few seconds). *worker "
        "CPU*: the gunicorn worker's, from `/proc`; in brackets, the median over the rounds "
        "of the difference with the first row. *sessions' "
        "Redis*: commands per request on the Redis that holds the sessions and nothing else "
        "(`INFO commandstats` delta / the responses the server counted), so its `SET`s are "
        "the *session writes* (count in brackets). *lock cache*: the second Redis "
        "(`lock_cache_alias`), which holds the refresh lock and the newest-tokens record. "
        "*session Set-Cookies*: responses that set the session cookie, counted by the "
        "server. *writes one per interval allows*: for each measured run, ⌊the run's "
        "seconds / interval⌋ + 1, summed.",
        "",
    ]
    header_line = "| " + " | ".join(header) + " |"
    lines += [header_line, "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join([*lines, ""]) + "\n"


def _commands(commands: Counter[str], requests_made: int) -> str:
    total = sum(commands.values())
    if not total:
        return "0"
    detail = ", ".join(
        f"{name.upper()} {n / requests_made:.3f}" for name, n in sorted(commands.items())
    )
    return f"{total / requests_made:.3f} ({detail})"
