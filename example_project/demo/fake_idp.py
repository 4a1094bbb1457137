"""The embedded fake Wristband for the zero-account demo: two tenants, three users each,
short-lived access tokens and refresh-token rotation, so a refresh is there to be seen."""

from __future__ import annotations

from django.conf import settings

from wristband_django.testing import FakeTenant, FakeUser, FakeWristband

TENANTS = [FakeTenant("acme"), FakeTenant("globex")]
USERS = [
    FakeUser(sub=f"usr_{tenant}_{who}", tenant=tenant, email=f"{who}@{tenant}.test", name=name)
    for tenant, people in {
        "acme": [("ada", "Ada Lovelace"), ("alan", "Alan Turing"), ("grace", "Grace Hopper")],
        "globex": [
            ("hank", "Hank Scorpio"),
            ("homer", "Homer Simpson"),
            ("mindy", "Mindy Simmons"),
        ],
    }.items()
    for who, name in people
]


def start_fake_wristband(port: int, app_origin: str) -> FakeWristband:
    fake = FakeWristband(
        client_id=settings.WRISTBAND_AUTH["client_id"],
        client_secret=settings.WRISTBAND_AUTH["client_secret"],
        tenants=TENANTS,
        users=USERS,
        login_url=f"{app_origin}/auth/login/",
        redirect_uri=f"{app_origin}/auth/callback/",
        login_url_tenant_domain_suffix="localhost" if settings.TENANT_SUBDOMAINS else None,
        access_token_ttl=settings.DEMO_ACCESS_TOKEN_TTL,
        rotate_refresh_tokens=True,
        host="127.0.0.1",
        port=port,
    )
    fake.start()
    print(f"Fake Wristband (no account needed) listening on {fake.base_url}", flush=True)
    return fake
