"""The ``WRISTBAND_AUTH`` key of where a login without a tenant goes (Wristband's
application-level authorization requests), which ``conf.parsing.SETTINGS`` lists with the
other auto-configured keys."""

from __future__ import annotations

from wristband_django.conf import fields
from wristband_django.conf.setting import Setting

LOGIN_SETTINGS: dict[str, Setting] = {
    "application_authorization_requests_enabled": Setting(
        fields.optional_boolean,
        "A login that names no tenant goes to Wristband's authorize endpoint on the "
        "application vanity domain, with its login state (PKCE, `state`, nonce, return URL): "
        "the user picks the tenant at Wristband, and the login completes for the tenant "
        "Wristband chose. Turn it on only when your Wristband application accepts "
        "application-level authorization requests (the default for applications created "
        "since October 2026): Wristband refuses them otherwise. `False`: such a login goes to "
        "the application login page (tenant discovery), whose links come back to this Login "
        "endpoint with the tenant. Auto-configured from Wristband's "
        "`applicationAuthorizationRequestsEnabled` when auto-configuration runs for another "
        "value. See [Application-level login](endpoints.md#application-level-login).",
        default="*auto* / `False`",
        example="True",
    ),
}
