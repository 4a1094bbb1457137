"""Run every scenario against one fake Wristband and one Redis, print the tables, and write
them into docs/PERFORMANCE.md. Started by ``python3 benchmarks/run.py`` (see its --help)."""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import time

from bench import asgi, logins, rolling
from bench.infra import BENCH_DIR, RedisServer, TlsFront, self_signed_certificate
from bench.report import ROLLING_END, ROLLING_START, machine, render, write_doc
from bench.scenarios import PACKAGES, STORES, Bench, Options, storm, throughput
from wristband_django.testing import FakeWristband


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per view")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--logins", type=int, default=40, help="logins timed per row of d")
    parser.add_argument(
        "--postgres",
        default=logins.POSTGRES_URL,
        help="a database URL of the PostgreSQL server for d's admin-row-on-PostgreSQL row",
    )
    parser.add_argument("--storm-requests", type=int, default=50)
    parser.add_argument("--storm-workers", type=int, default=8)
    parser.add_argument("--refresh-delay", type=float, default=0.1, help="fake's refresh latency")
    parser.add_argument("--stores", nargs="*", choices=STORES, default=list(STORES))
    parser.add_argument("--profile", action="store_true", help="py-spy each view once more")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/PERFORMANCE.md")
    rolling_runs = parser.add_mutually_exclusive_group()
    rolling_runs.add_argument(
        "--no-rolling", action="store_true", help="skip f (the rolling-session variants)"
    )
    rolling_runs.add_argument(
        "--only-rolling", action="store_true", help="run f alone; rewrite only its section"
    )
    parser.add_argument(
        "--asgi-stores",
        nargs="*",
        choices=STORES,
        default=["redis"],
        help="session stores of a under uvicorn (alone: only the ASGI storm)",
    )
    parser.add_argument(
        "--asgi-sync-view",
        action="store_true",
        help="under uvicorn, measure the sync view too (Django runs it in a thread)",
    )
    asgi_runs = parser.add_mutually_exclusive_group()
    asgi_runs.add_argument(
        "--no-asgi", action="store_true", help="skip a and b under uvicorn (ASGI)"
    )
    parser.add_argument(
        "--only-admin",
        action="store_true",
        help="run g (the admin at a million sessions, PostgreSQL) alone; --only-admin --help",
    )
    asgi_runs.add_argument(
        "--only-asgi",
        action="store_true",
        help="run a and b under uvicorn alone; rewrite only their section",
    )
    args = parser.parse_args(argv)
    if args.only_asgi and args.only_rolling:
        parser.error("--only-asgi and --only-rolling: pick one (or neither, for everything)")
    return args


def main(argv: list[str]) -> int:
    if "--only-admin" in argv:  # g, the admin at a million sessions: a run of its own
        from bench import admin_scale

        return admin_scale.main(argv)
    if "--only-bearer" in argv:  # h, bearer requests: a run of its own
        from bench import bearer

        return bearer.main(argv)
    if "--only-crowd" in argv:  # i, logins under a crowd: a run of its own
        from bench import crowd

        return crowd.main(argv)
    if "--only-soak" in argv:  # j, memory over time: a run of its own
        from bench import soak

        return soak.main(argv)
    args = parse_args(argv)
    options = Options(
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        connections=args.connections,
        logins=args.logins,
        storm_requests=args.storm_requests,
        storm_workers=args.storm_workers,
        refresh_delay=args.refresh_delay,
        profile=args.profile,
    )
    work = BENCH_DIR / "results" / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    run_main = not (args.only_rolling or args.only_asgi)
    run_asgi = not (args.no_asgi or args.only_rolling)
    run_rolling = not (args.no_rolling or args.only_asgi)
    started = time.monotonic()
    cert, key = self_signed_certificate(work)
    store = RedisServer(work)
    try:
        with FakeWristband(rotate_refresh_tokens=True) as fake:
            tls = TlsFront(fake.port, cert, key)
            bench = Bench(fake, tls, cert, store, work, secrets.token_urlsafe(32), options)
            runs = []
            storms = []
            login_runs, postgres_problem = [], None
            if run_main:
                for store_name in args.stores:
                    for package in PACKAGES:
                        print(f"… {package} on {store_name}", file=sys.stderr, flush=True)
                        runs.append(throughput(bench, package, store_name))
                for package in PACKAGES:
                    print(f"… {package} refresh storm", file=sys.stderr, flush=True)
                    storms.append(storm(bench, package))
                print("… logins, every variant in turn", file=sys.stderr, flush=True)
                login_runs, postgres_problem = logins.run(bench, args.postgres)
            served_asgi = None
            if run_asgi:
                views = [asgi.ASYNC_VIEW] + ([asgi.SYNC_VIEW] if args.asgi_sync_view else [])
                served_asgi = asgi.run(bench, args.asgi_stores, views)
            rolled = []
            if run_rolling:
                print("… ours, rolling sessions", file=sys.stderr, flush=True)
                rolled = rolling.rolling(bench)
            tls.close()
        machine_line = machine(store)
        section = (
            render(machine_line, options, runs, storms, login_runs, postgres_problem)
            if run_main
            else ""
        )
        asgi_section = asgi.render(machine_line, options, served_asgi) if served_asgi else ""
        rolling_section = rolling.render(machine_line, options, rolled) if rolled else ""
    finally:
        store.stop()
    print(section + asgi_section + rolling_section)
    print(f"(took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    (BENCH_DIR / "results" / "last.md").write_text(section + asgi_section + rolling_section)
    if not args.no_doc:
        if section:
            write_doc(section)
        if asgi_section:
            write_doc(asgi_section, asgi.ASGI_START, asgi.ASGI_END)
        if rolling_section:
            write_doc(rolling_section, ROLLING_START, ROLLING_END)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
