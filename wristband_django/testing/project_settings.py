"""Point a project's own ``WRISTBAND_AUTH`` at a fake Wristband, keeping the project's keys.

Standalone like the rest of ``wristband_django.testing``: plain dicts in, a dict out.

    settings.WRISTBAND_AUTH = settings_for_fake(settings.WRISTBAND_AUTH, fake)

The pytest plugin's ``wristband_settings`` fixture does this for you (and more: the test
client's URLs and the database).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .fake import FakeWristband

#: Keys that describe the real Wristband application (and where it sends browsers): the fake
#: answers for them, so the project's values are dropped. Everything else the project sets
#: (``protected_paths``, timeouts, ``session_metadata_claims``...) is kept.
APPLICATION_KEYS = frozenset(
    {
        "client_id",
        "client_secret",
        "wristband_application_vanity_domain",
        "dangerously_allow_http_idp",
        "login_url",
        "redirect_uri",
        "parse_tenant_from_root_domain",
        "is_application_custom_domain_active",
        "custom_application_login_page_url",
        "application_authorization_requests_enabled",
    }
)


def settings_for_fake(
    project: Mapping[str, Any] | None, fake: FakeWristband, **overrides: Any
) -> dict[str, Any]:
    """Return the project's ``WRISTBAND_AUTH`` with the Wristband application swapped for ``fake``.

    ``overrides`` win over both, e.g. ``login_url``/``redirect_uri`` for the test client's
    host. The fake's own topology (custom domains on or off, a self-hosted login page,
    application-level authorization requests) is set explicitly, so it also holds with
    ``auto_configure_enabled = False``.
    """
    kept = {key: value for key, value in (project or {}).items() if key not in APPLICATION_KEYS}
    fake_application = fake.auth_settings(
        is_application_custom_domain_active=fake.settings.is_application_custom_domain_active,
        custom_application_login_page_url=fake.settings.custom_application_login_page_url,
        application_authorization_requests_enabled=(
            fake.settings.application_authorization_requests_enabled
        ),
    )
    return {**kept, **fake_application, **overrides}
