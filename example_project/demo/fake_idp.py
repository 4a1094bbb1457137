"""The embedded fake Wristband for the zero-account demo: two tenants, two users each."""

from __future__ import annotations

from django.conf import settings

from wristband_django.testing import FakeWristband


def start_fake_wristband(port: int, app_origin: str) -> FakeWristband:
    fake = FakeWristband(
        client_id=settings.WRISTBAND_AUTH["client_id"],
        client_secret=settings.WRISTBAND_AUTH["client_secret"],
        login_url=f"{app_origin}/auth/login/",
        redirect_uri=f"{app_origin}/auth/callback/",
        access_token_ttl=90,  # with the 60 s buffer: a refresh every 30 s
        rotate_refresh_tokens=True,
        host="127.0.0.1",
        port=port,
    )
    fake.start()
    print(f"Fake Wristband (no account needed) listening on {fake.base_url}", flush=True)
    return fake
