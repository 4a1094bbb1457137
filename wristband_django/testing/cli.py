"""`python -m wristband_django.testing`: a fake Wristband to develop your own site against.

It listens on a fixed port (8001 unless ``--port``), prints ``export WRISTBAND_...=`` lines
for the environment variables the quickstart's settings read and the one settings line the
fake needs (it speaks plain http), and serves until Ctrl-C (or SIGTERM), then exits 0. A
port it cannot listen on is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TextIO

from .fake import FakeWristband

DEFAULT_PORT = 8001
DEFAULT_APP_ORIGIN = "http://localhost:8000"
TENANT_PLACEHOLDER = "{tenant_name}"
EXIT_CANNOT_LISTEN = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m wristband_django.testing",
        description="Run a fake Wristband identity provider for local development, print the "
        "environment variables and the settings line that point a Django project at it (the "
        "quickstart's settings), and serve until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on (%(default)s)"
    )
    parser.add_argument(
        "--login-url",
        help="your app's login URL, as auto-configuration reports it "
        f"(default {DEFAULT_APP_ORIGIN}/auth/login/)",
    )
    parser.add_argument(
        "--redirect-uri",
        help="your app's callback URL, the only redirect URI the fake accepts "
        f"(default {DEFAULT_APP_ORIGIN}/auth/callback/)",
    )
    parser.add_argument(
        "--tenant-subdomains",
        nargs="?",
        const="localhost",
        metavar="ROOT_DOMAIN",
        help="tenants on subdomains of ROOT_DOMAIN (default localhost, as in "
        "http://acme.localhost:8000); the URLs then default to "
        f"http://{TENANT_PLACEHOLDER}.ROOT_DOMAIN:8000/auth/...",
    )
    parser.add_argument(
        "--client-id", default="fake-client-id", help="the app's client id (%(default)s)"
    )
    parser.add_argument(
        "--client-secret",
        default="fake-client-secret-0123456789abcdef0123",
        help="the app's client secret (%(default)s)",
    )
    parser.add_argument(
        "--access-token-ttl",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="lifetime of access tokens (%(default)s)",
    )
    return parser


def fake_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> FakeWristband:
    root_domain: str | None = args.tenant_subdomains
    origin = (
        f"http://{TENANT_PLACEHOLDER}.{root_domain}:8000" if root_domain else DEFAULT_APP_ORIGIN
    )
    login_url: str = args.login_url or f"{origin}/auth/login/"
    redirect_uri: str = args.redirect_uri or f"{origin}/auth/callback/"
    if root_domain and not all(TENANT_PLACEHOLDER in url for url in (login_url, redirect_uri)):
        parser.error(f"with --tenant-subdomains, the URLs need a {TENANT_PLACEHOLDER} placeholder")
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, got {args.port}")
    return FakeWristband(
        client_id=args.client_id,
        client_secret=args.client_secret,
        access_token_ttl=args.access_token_ttl,
        login_url=login_url,
        redirect_uri=redirect_uri,
        login_url_tenant_domain_suffix=root_domain,
        host=args.host,
        port=args.port,
    )


def cannot_listen_message(error: OSError, host: str, port: int) -> str:
    """Return one line saying why the fake cannot listen on `host:port`, and what to do."""
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use: pass --port with a free port (e.g. --port {port + 1})"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


#: The environment variable the quickstart's settings read each ``WRISTBAND_AUTH`` key from.
ENVIRONMENT_VARIABLES = {
    "client_id": "WRISTBAND_CLIENT_ID",
    "client_secret": "WRISTBAND_CLIENT_SECRET",
    "wristband_application_vanity_domain": "WRISTBAND_APPLICATION_VANITY_DOMAIN",
}
#: The settings line for the flag the fake needs: it speaks plain http, Wristband never does.
HTTP_IDP_LINE = 'WRISTBAND_AUTH["dangerously_allow_http_idp"] = True'


def export_lines(fake: FakeWristband) -> str:
    """Return ``export WRISTBAND_...=value`` lines pointing the quickstart's settings at `fake`.

    One line per environment variable the quickstart's settings read, values shell-quoted.
    """
    auth = fake.auth_settings()
    return "\n".join(
        f"export {name}={shlex.quote(str(auth[key]))}"
        for key, name in ENVIRONMENT_VARIABLES.items()
    )


def settings_lines(fake: FakeWristband) -> str:
    """Return the lines to add to the project's settings for `fake` (none for https)."""
    return HTTP_IDP_LINE if fake.auth_settings().get("dangerously_allow_http_idp") else ""


def describe(fake: FakeWristband) -> str:
    """Return what the command prints once listening: the environment variables and settings
    line for the project, its URLs and the users."""
    settings = fake.settings
    example = fake.tenants[0].name if fake.tenants else "acme"
    start = settings.login_url.replace(TENANT_PLACEHOLDER, example)
    if not settings.login_url_tenant_domain_suffix:
        start += f"{'&' if '?' in start else '?'}tenant_name={example}"
    line = settings_lines(fake)
    flag = (
        f"and add this line at the end of your settings.py (the fake speaks plain http; "
        f"never in production):\n\n{line}\n\n"
        if line
        else ""
    )
    users = "\n".join(
        f"  {tenant.name}: {', '.join(user.email for user in fake.users_of(tenant.name))}"
        for tenant in fake.tenants
    )
    return (
        f"Fake Wristband listening on {fake.base_url} (Ctrl-C to stop)\n"
        "\n"
        "In the shell that runs `manage.py runserver`, set the variables the quickstart's "
        "settings read:\n"
        "\n"
        f"{export_lines(fake)}\n"
        "\n"
        f"{flag}"
        "Your app must serve these two URLs (include wristband_django.urls at auth/):\n"
        f"  login URL:    {settings.login_url}\n"
        f"  redirect URI: {settings.redirect_uri}\n"
        "\n"
        f"Then open {start} and pick a user:\n"
        f"{users}\n"
    )


def serve_until_stopped(fake: FakeWristband, banner: Callable[[], None]) -> None:
    """Call ``banner()``, block until SIGINT (Ctrl-C) or SIGTERM, then stop `fake`.

    The signal handlers are installed before the banner, since whoever reads it may send a
    signal at once.
    """
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        banner()
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        fake.stop()


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    fake = fake_from_args(args, parser)
    try:
        fake.start()
    except OSError as error:
        print(cannot_listen_message(error, args.host, args.port), file=err, flush=True)
        return EXIT_CANNOT_LISTEN
    try:
        serve_until_stopped(fake, lambda: print(describe(fake), file=out, flush=True))
    except KeyboardInterrupt:  # Ctrl-C before the handler was installed
        fake.stop()
    print("Fake Wristband stopped.", file=out, flush=True)
    return 0
