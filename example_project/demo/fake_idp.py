"""The embedded fake Wristband for the zero-account demo: two tenants, three users each (with
a role), short-lived access tokens and refresh-token rotation, so a refresh is there to be
seen."""

from __future__ import annotations

import base64
import errno
import json
import sys
from typing import NoReturn
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import Request, urlopen

from django.conf import settings

from wristband_django.testing import FakeTenant, FakeUser, FakeWristband

TENANTS = [FakeTenant("acme"), FakeTenant("globex")]
#: What the pages call each tenant (Wristband's tenant display name); its name (``acme``) is
#: what URLs and code use.
TENANT_DISPLAY_NAMES = {"acme": "Acme", "globex": "Globex"}


def _role(tenant: str, role: str) -> dict[str, str]:
    """A Wristband role as userinfo lists it (with the ``roles`` scope)."""
    return {"id": f"rol_{tenant}_{role}", "name": f"app:demo:{role}", "display_name": role.title()}


USERS = [
    FakeUser(
        sub=f"usr_{tenant}_{who}",
        tenant=tenant,
        email=f"{who}@{tenant}.test",
        name=name,
        roles=(_role(tenant, role),),
    )
    for tenant, people in {
        "acme": [
            ("ada", "Ada Lovelace", "owner"),
            ("alan", "Alan Turing", "member"),
            ("grace", "Grace Hopper", "member"),
        ],
        "globex": [
            ("hank", "Hank Scorpio", "owner"),
            ("homer", "Homer Simpson", "member"),
            ("mindy", "Mindy Simmons", "member"),
        ],
    }.items()
    for who, name, role in people
]


def tenant_display_name(name: str) -> str:
    """The display name of the tenant named ``name``: the fake's, or with real Wristband
    (whose userinfo carries no tenant display name) the name itself."""
    return name if settings.REAL_WRISTBAND else TENANT_DISPLAY_NAMES.get(name, name)


def start_fake_wristband(port: int, app_origin: str) -> FakeWristband | None:
    """Start the embedded fake on `port`; None if a fake for this demo already listens there.

    A busy port is one line, never a traceback. If what listens there is a fake Wristband set
    up for this demo (another demo process, or `python -m wristband_django.testing --client-id
    demo-client --client-secret demo-client-secret-not-for-production-use`), the demo uses it:
    that lets you restart the fake, or keep one across demo restarts. Anything else is one
    line on stderr and exit status 2, rather than a demo whose logins would fail.
    """
    auth = settings.WRISTBAND_AUTH
    fake = FakeWristband(
        client_id=auth["client_id"],
        client_secret=auth["client_secret"],
        tenants=TENANTS,
        users=USERS,
        login_url=f"{app_origin}/auth/login/",
        redirect_uri=f"{app_origin}/auth/callback/",
        login_url_tenant_domain_suffix="localhost" if settings.TENANT_SUBDOMAINS else None,
        application_authorization_requests_enabled=settings.APPLICATION_LEVEL_LOGIN,
        access_token_ttl=settings.DEMO_ACCESS_TOKEN_TTL,
        rotate_refresh_tokens=True,
        host="127.0.0.1",
        port=port,
    )
    try:
        fake.start()
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            _exit(f"Fake Wristband: cannot listen on 127.0.0.1:{port}: {error.strerror or error}")
        problem = _unusable(port, fake)
        if problem:
            _exit(
                f"Fake Wristband: port {port} is in use by {problem}: stop it, or set "
                "DEMO_WRISTBAND_PORT to a free port."
            )
        print(f"Fake Wristband: using the one already listening on port {port}", flush=True)
        return None
    print(f"Fake Wristband (no account needed) listening on {fake.base_url}", flush=True)
    return fake


def _exit(message: str) -> NoReturn:
    # SystemExit, not an exception: Django's autoreloader would print the traceback of an
    # exception raised in AppConfig.ready() and then keep waiting for a file change.
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(2)


def _unusable(port: int, ours: FakeWristband) -> str | None:
    """Why what listens on `port` cannot stand in for `ours` (None: it can).

    It can if it is a fake Wristband (or Wristband) that knows this demo's client id, accepts
    its secret, and sends logins to this demo's URLs.
    """
    base, client_id = f"http://127.0.0.1:{port}", ours.client_id
    what = f"something other than a fake Wristband for client {client_id!r}"
    try:
        with urlopen(  # noqa: S310 (a fixed http URL on loopback)
            f"{base}/api/v1/clients/{quote(client_id, safe='')}/sdk-configuration", timeout=3
        ) as response:
            configuration = json.load(response)
    except (OSError, ValueError):  # HTTPError (404: another client id) is an OSError
        return what
    if not isinstance(configuration, dict):
        return what
    expected = (ours.settings.login_url, ours.settings.redirect_uri)
    found = (configuration.get("loginUrl"), configuration.get("redirectUri"))
    if found != expected:
        return f"a fake Wristband whose login URL is {found[0]}, not {expected[0]}"
    # A token request without grant_type: 400 once the client authenticates, 401 otherwise.
    credentials = base64.b64encode(f"{client_id}:{ours.client_secret}".encode()).decode()
    request = Request(  # noqa: S310 (a fixed http URL on loopback)
        f"{base}/api/v1/oauth2/token",
        data=b"",
        headers={
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urlopen(request, timeout=3):  # noqa: S310
            return what
    except HTTPError as error:
        return None if error.code == 400 else "a fake Wristband with another client secret"
    except OSError:
        return what
