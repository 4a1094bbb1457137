"""d. Logins side by side: our login with its admin row on SQLite (the run's database) and on
PostgreSQL, without the row (``track_sessions`` off), and the official package's.

Every variant has a gunicorn server of its own (one sync worker, Redis sessions), all up at
once; the logins are taken in turn, one per variant per round, so that a shared machine's
drift during the run falls on every variant alike.
"""

from __future__ import annotations

import statistics
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from bench.infra import SERVERS, postgres_database
from bench.scenarios import Bench, log_in

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
#: One login: server ms, Redis commands, SQL queries, calls to the fake by endpoint.
Sample = tuple[float, int, int, Counter[str]]


@dataclass(frozen=True)
class LoginStats:
    redis_commands: int  # over all the logins
    sql_queries: int
    count: int
    server_ms_mean: float
    server_ms_p50: float
    calls_per_login: dict[str, float]
    first_login_extra: dict[str, int]  # what the first login called on top (configuration, keys)


@dataclass(frozen=True)
class Variant:
    label: str  # the table's "login" cell
    package: str
    name: str  # its server's log and SQLite file
    auth: dict[str, Any] = field(default_factory=dict)  # more WRISTBAND_AUTH (ours)
    env: dict[str, str] = field(default_factory=dict)  # more BENCH_* variables


@dataclass
class LoginRun:
    variant: Variant
    stats: LoginStats


def variants(bench: Bench, postgres_url: str) -> tuple[list[Variant], str | None]:
    """The variants, and why PostgreSQL is left out (None when it is in)."""
    chosen = [
        Variant("admin row on SQLite (the run's database)", "ours", "ours-login"),
        Variant(
            "no admin row (`track_sessions: False`)",
            "ours",
            "ours-login-untracked",
            auth={"track_sessions": False},
        ),
        Variant("(writes nothing to the database)", "official", "official-login"),
    ]
    database, problem = postgres_database(postgres_url, "wristband_bench_login")
    if database is not None:
        chosen.insert(
            1,
            Variant(
                "admin row on PostgreSQL",
                "ours",
                "ours-login-postgres",
                env={"BENCH_POSTGRES_URL": database},
            ),
        )
    return chosen, problem


def run(bench: Bench, postgres_url: str = POSTGRES_URL) -> tuple[list[LoginRun], str | None]:
    """``bench.options.logins`` logins per variant, in turns; the first one of each (which
    also fetches Wristband's configuration and keys) is not counted."""
    chosen, problem = variants(bench, postgres_url)
    with ExitStack() as servers:
        bases, firsts = [], []
        for variant in chosen:
            env, port = bench.server(
                variant.package, "redis", workers=1, name=variant.name, auth=variant.auth,
                env=variant.env,
            )  # fmt: skip
            log = bench.work / f"gunicorn-{variant.name}.log"
            server = servers.enter_context(
                SERVERS["gunicorn"](variant.package, port, env, workers=1, log=log)
            )
            firsts.append(_one_login(bench, server.base)[3])  # configuration, keys, connections
            bases.append(server.base)
        samples: list[list[Sample]] = [[] for _ in chosen]
        for _ in range(bench.options.logins):
            for base, taken in zip(bases, samples, strict=True):
                taken.append(_one_login(bench, base))
    runs = zip(chosen, samples, firsts, strict=True)
    return [LoginRun(v, _stats(taken, first)) for v, taken, first in runs], problem


def _one_login(bench: Bench, base: str) -> Sample:
    """Server ms, Redis commands, SQL queries and calls to the fake of one login."""
    bench.fake.reset_records()
    before = bench.redis.command_calls()
    login = log_in(bench, base)
    after = bench.redis.command_calls()
    redis_commands = sum(after.values()) - sum(before.values())
    calls = Counter(r.endpoint for r in bench.fake.requests if r.endpoint != "authorize")
    return login.server_ms, redis_commands, login.queries, calls


def _stats(taken: list[Sample], first: Counter[str]) -> LoginStats:
    times = [ms for ms, _, _, _ in taken]
    calls: Counter[str] = sum((c for _, _, _, c in taken), Counter())
    count = len(taken)
    usual = {name: round(n / count) for name, n in calls.items()}
    return LoginStats(
        redis_commands=sum(r for _, r, _, _ in taken),
        sql_queries=sum(q for _, _, q, _ in taken),
        count=count,
        server_ms_mean=statistics.mean(times),
        server_ms_p50=statistics.median(times),
        calls_per_login={name: n / count for name, n in sorted(calls.items())},
        first_login_extra={
            name: n - usual.get(name, 0)
            for name, n in sorted(first.items())
            if n > usual.get(name, 0)
        },
    )
