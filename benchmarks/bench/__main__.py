"""Run every scenario against one fake Wristband and one Redis, print the tables, and write
them into docs/PERFORMANCE.md. Started by ``python3 benchmarks/run.py`` (see its --help)."""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import time

from bench.infra import BENCH_DIR, RedisServer, TlsFront, self_signed_certificate
from bench.report import machine, render, write_doc
from bench.scenarios import PACKAGES, STORES, Bench, Options, storm, throughput
from wristband_django.testing import FakeWristband


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per view")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--logins", type=int, default=20, help="logins timed per package")
    parser.add_argument("--storm-requests", type=int, default=50)
    parser.add_argument("--storm-workers", type=int, default=8)
    parser.add_argument("--refresh-delay", type=float, default=0.1, help="fake's refresh latency")
    parser.add_argument("--stores", nargs="*", choices=STORES, default=list(STORES))
    parser.add_argument("--profile", action="store_true", help="py-spy each view once more")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/PERFORMANCE.md")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
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
    started = time.monotonic()
    cert, key = self_signed_certificate(work)
    store = RedisServer(work)
    try:
        with FakeWristband(rotate_refresh_tokens=True) as fake:
            tls = TlsFront(fake.port, cert, key)
            bench = Bench(fake, tls, cert, store, work, secrets.token_urlsafe(32), options)
            runs = []
            for store_name in args.stores:
                for package in PACKAGES:
                    print(f"… {package} on {store_name}", file=sys.stderr, flush=True)
                    runs.append(throughput(bench, package, store_name))
            storms = []
            for package in PACKAGES:
                print(f"… {package} refresh storm", file=sys.stderr, flush=True)
                storms.append(storm(bench, package))
            tls.close()
        section = render(machine(store), options, runs, storms)
    finally:
        store.stop()
    print(section)
    print(f"(took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    (BENCH_DIR / "results" / "last.md").write_text(section)
    if not args.no_doc:
        write_doc(section)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
