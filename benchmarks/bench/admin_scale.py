"""g. The admin at a million sessions: ``python3 benchmarks/run.py --only-admin``.

One process, one fresh PostgreSQL database (the machine's server, ``--postgres``), dropped at
the end. It migrates, logs a few users in through a fake Wristband (live rows whose sessions
the admin's "End session" ends), then loads ``--rows`` (1,000,000) ``LoginSession`` rows
with one ``INSERT ... SELECT generate_series`` (about 1,000 tenants of skewed sizes, 200,000
users with an email each, four identity providers, logins over 30 days, most access tokens
expired) and runs ``VACUUM ANALYZE`` (what autovacuum does after such a load).

It times the admin's views as Django serves them (the test client, in process: the view,
middleware and template, no network), each ``--repeats`` times, a fresh request each: the
changelist, a search by email, a search by user id, the tenant filter, and the "End session"
action posted on one live row. It does so twice in the same run, on the same rows: first
with the admin as it was (Django's defaults: the full result count, ``icontains`` searches,
``list_filter`` on the tenant name, and without migration 0004's indexes), then as shipped
(migration 0004 applied, timed). Then ``wristband_purge_sessions`` removes every bulk row
(their sessions are not in the store) and the runner reports rows/s and the longest single
statement, the longest any lock was held in its autocommit transactions.

Each bulk row has a session key of its own, sealed and hashed as a login writes them; no
session in the store has it, so every bulk row is one the purge removes.
"""

from __future__ import annotations

import argparse
import io
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import django
import psycopg
from django.conf import settings

START, END = "<!-- benchmark-admin:start -->", "<!-- benchmark-admin:end -->"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "wristband_bench_admin"
CHANGELIST = "/admin/wristband_django/loginsession/"
TARGET_MS = 300.0
LIVE_USERS = ("admin@acme.test", "member@acme.test", "admin@globex.test")
USERS, TENANTS = 200_000, 1_000

# One INSERT ... SELECT over the keys COPYed in: user u of row g is spread by a
# multiplicative hash; a user's tenant is skewed (tenant 0 the largest, about 30 times the
# median); created_at over 30 days.
BULK_SQL = """
INSERT INTO wristband_django_loginsession (session_key_hash, session_key_sealed, user_id, email,
    tenant_id, tenant_name, identity_provider, created_at, last_refreshed_at,
    access_token_expires_at, ip_address, user_agent)
SELECT h, s, 'usr_' || u, 'user' || u || '@t' || t
    || '.example.test', 'ten_' || t, 'tenant-' || t,
    (ARRAY['Wristband', 'google', 'okta', 'azure-ad'])[1 + g %% 4], c,
    CASE WHEN g %% 3 = 0 THEN c + interval '30 minutes' END,
    c + interval '1 hour' * (1 + g %% 2), ('10.0.' || (g %% 250) || '.' || (u %% 250))::inet,
    'Mozilla/5.0 (bench) ' || (g %% 50)
FROM (
    SELECT g, h, s, u, floor(%(tenants)s * power((u * 7919 %% 10007) / 10007.0, 2))::int AS t,
        now() - interval '1 second' * ((g::bigint * 2654435761) %% 2592000) AS c
    FROM (SELECT g, h, s, (g::bigint * 48271 %% %(users)s)::int AS u
          FROM bulk_keys) AS numbered
) AS rows
"""


@dataclass(frozen=True)
class Timing:
    name: str
    median_ms: float
    p95_ms: float
    queries: int
    status: int

    @property
    def met(self) -> bool:
        return self.p95_ms <= TARGET_MS and self.status in (200, 302)  # 302: the action's


@dataclass(frozen=True)
class Purge:
    rows: int
    seconds: float
    longest_statement_ms: float
    statements: int
    output: str

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py --only-admin", description=__doc__)
    parser.add_argument("--only-admin", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=1_000_000, help="bulk LoginSession rows")
    parser.add_argument("--repeats", type=int, default=9, help="requests timed per operation")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="a URL of the server")
    parser.add_argument("--no-baseline", action="store_true", help="skip the admin as it was")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/PERFORMANCE.md")
    return parser.parse_args(argv)


def configure(database_url: str, auth: dict[str, Any]) -> None:
    parts = urlsplit(database_url)
    settings.configure(
        SECRET_KEY=secrets.token_urlsafe(32),
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        ROOT_URLCONF="bench.admin_urls",
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.messages",
            "django.contrib.sessions",
            "wristband_django",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "wristband_django.middleware.WristbandAuthMiddleware",
        ],
        AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": parts.path.lstrip("/"),
                "USER": parts.username or "postgres",
                "HOST": parts.hostname or "127.0.0.1",
                "PORT": str(parts.port or 5432),
            }
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        WRISTBAND_AUTH=auth,
    )
    django.setup()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    parts = urlsplit(server_url)
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    try:
        yield parts._replace(path=f"/{DATABASE}").geturl()
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def bulk_load(rows: int) -> float:
    """COPY a session key per row (its hash and sealed form, as a login writes them), then
    one INSERT ... SELECT; return the seconds taken."""
    from django.db import connection

    from wristband_django.store import login_records, sealing

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bulk_keys (g int, h text, s text)")
        with cursor.cursor.copy("COPY bulk_keys (g, h, s) FROM STDIN") as copy:
            for g in range(1, rows + 1):
                key = secrets.token_hex(16)
                sealed = sealing.encrypt(login_records.SEALED_FIELD, key)
                copy.write_row((g, login_records.key_hash(key), sealed))
        cursor.execute(BULK_SQL, {"users": USERS, "tenants": TENANTS})
        cursor.execute("DROP TABLE bulk_keys")
    # What autovacuum does after such a load (its insert threshold), which index-only scans
    # need; VACUUM cannot run in a transaction block, hence the cursor of its own.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE wristband_django_loginsession")
    return time.perf_counter() - started


def timed(name: str, repeats: int, request: Callable[[], Any]) -> Timing:
    """Time ``request`` (one fresh request through Django) ``repeats`` times, after one
    unrecorded warm-up that counts its SQL queries."""
    from django.db import connection

    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)
    ):
        response = request()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = request()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Timing(name, statistics.median(samples), p95, len(queries), response.status_code)


def admin_timings(repeats: int, admin: Any, fake: Any, baseline: bool) -> list[Timing]:
    from django.test import Client

    from wristband_django import testing
    from wristband_django.models import LoginSession

    # A bulk row's email and user id, and the largest tenant (the slowest to filter).
    email, user_id = "user4242@t0.example.test", "usr_4242"
    sample = LoginSession.objects.filter(user_id=user_id).values_list("email", flat=True).first()
    email = sample or email
    tenant = "?tenant_name=tenant-0" if baseline else "?tenant=ten_0"
    runs = [
        timed("changelist", repeats, lambda: admin.get(CHANGELIST)),
        timed("search by email", repeats, lambda: admin.get(CHANGELIST, {"q": email})),
        timed("search by user id", repeats, lambda: admin.get(CHANGELIST, {"q": user_id})),
        timed("filter by tenant (the largest)", repeats, lambda: admin.get(CHANGELIST + tenant)),
    ]
    # End session on one live row per request: log users in first (one row each).
    live = []
    for index in range(repeats + 1):
        testing.log_in(Client(), fake, LIVE_USERS[index % len(LIVE_USERS)])
        live.append(LoginSession.objects.order_by("-pk").values_list("pk", flat=True).first())
    rows = iter(live)

    def end_one() -> Any:
        selected = {"action": "end_sessions", "_selected_action": [next(rows)], "index": 0}
        return admin.post(CHANGELIST, selected)

    runs.append(timed("End session on one row (POST)", repeats, end_one))
    return runs


def as_it_was(model_admin: Any) -> dict[str, Any]:
    """Put the admin's options as they were before issue 27 (Django's defaults); return the
    shipped ones."""
    from django.core.paginator import Paginator

    names = ("list_filter", "search_fields", "show_full_result_count", "paginator", "list_per_page")
    shipped = {name: getattr(model_admin, name) for name in names}
    model_admin.list_filter = ("tenant_name", "identity_provider")
    model_admin.search_fields = ("user_id", "email")
    model_admin.show_full_result_count = True
    model_admin.paginator = Paginator
    model_admin.list_per_page = 100
    return shipped


def purge() -> Purge:
    from django.core.management import call_command
    from django.db import connection

    from wristband_django.models import LoginSession

    durations: list[float] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            durations.append((time.perf_counter() - started) * 1000)

    before = LoginSession.objects.count()
    out = io.StringIO()
    started = time.perf_counter()
    with connection.execute_wrapper(record):
        call_command("wristband_purge_sessions", stdout=out)
    seconds = time.perf_counter() - started
    removed = before - LoginSession.objects.count()
    return Purge(removed, seconds, max(durations, default=0.0), len(durations), out.getvalue())


def render(
    machine_line: str, rows: int, load_s: float, index_s: float | None,
    before: list[Timing] | None, after: list[Timing], purged: Purge, repeats: int,
) -> str:  # fmt: skip
    lines = [
        f"Machine: {machine_line}",
        "",
        f"{rows:,} `LoginSession` rows on PostgreSQL, loaded in {load_s:.1f} s; each view "
        f"timed {repeats} times as Django serves it (test client, in process), a fresh "
        "request each. Target: ≤ 300 ms (p95) each.",
        "",
        "| operation | as it was: median / p95 ms (queries) | shipped: median / p95 ms "
        "(queries) | target ≤ 300 ms |",
        "| --- | --- | --- | --- |",
    ]
    for index, timing in enumerate(after):
        old = before[index] if before else None
        was = f"{old.median_ms:.0f} / {old.p95_ms:.0f} ({old.queries})" if old else "not run"
        met = "met" if timing.met else "**not met**"
        lines.append(
            f"| {timing.name} | {was} | {timing.median_ms:.0f} / {timing.p95_ms:.0f} "
            f"({timing.queries}) | {met} |"
        )
    lock_met = "met" if purged.longest_statement_ms <= 1000 else "**not met**"
    lines += [
        "",
        f"`wristband_purge_sessions` removed {purged.rows:,} rows of ended sessions in "
        f"{purged.seconds:.1f} s: **{purged.rate:,.0f} rows/s**, in {purged.statements:,} SQL "
        f"statements, each its own transaction; the longest took "
        f"{purged.longest_statement_ms:.0f} ms, the longest any row lock was held. "
        f"Target: batches, no lock held over 1 s: {lock_met}.",
    ]
    if index_s is not None:
        lines.append(f"Migration 0004 (its indexes) took {index_s:.1f} s on these rows.")
    return "\n".join(lines) + "\n"


def machine_line() -> str:
    import os
    import platform
    from importlib.metadata import version
    from pathlib import Path

    from django.db import connection

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if "model name" in line), platform.processor() or "unknown CPU",
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return (
        f"the python-svc machine, {cpu}, {os.cpu_count()} cores, Linux {platform.release()}; "
        f"Python {platform.python_version()}, Django {version('Django')}, "
        f"PostgreSQL {server.split()[0]} (local socket over 127.0.0.1, default settings)"
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from wristband_django.testing import FakeWristband

    started = time.monotonic()
    with FakeWristband() as fake, fresh_database(args.postgres) as url:
        configure(url, fake.auth_settings(
            login_url="https://app.test/auth/login", redirect_uri="https://app.test/auth/callback",
        ))  # fmt: skip
        from django.contrib import admin as django_admin
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import Client

        from wristband_django.models import LoginSession

        call_command("migrate", verbosity=0)
        call_command("migrate", "wristband_django", "0003", verbosity=0)  # 0004 comes later
        user = get_user_model().objects.create_superuser("root", "root@example.test", "pw")
        admin = Client()
        admin.force_login(user)
        print(f"… loading {args.rows:,} rows", file=sys.stderr, flush=True)
        load_s = bulk_load(args.rows)
        model_admin = django_admin.site._registry[LoginSession]
        before = None
        if not args.no_baseline:
            print("… the admin as it was", file=sys.stderr, flush=True)
            shipped = as_it_was(model_admin)
            before = admin_timings(args.repeats, admin, fake, baseline=True)
            for name, value in shipped.items():
                setattr(model_admin, name, value)
        print("… migration 0004, then the admin as shipped", file=sys.stderr, flush=True)
        index_started = time.perf_counter()
        call_command("migrate", "wristband_django", verbosity=0)
        index_s = time.perf_counter() - index_started
        after = admin_timings(args.repeats, admin, fake, baseline=False)
        print("… wristband_purge_sessions", file=sys.stderr, flush=True)
        purged = purge()
        section = render(
            machine_line(), args.rows, load_s, index_s, before, after, purged, args.repeats
        )
    print(section)
    print(purged.output, file=sys.stderr)
    print(f"(took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    if not args.no_doc:
        from bench.report import write_doc

        write_doc(section, START, END)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
