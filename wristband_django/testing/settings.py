"""Mutable configuration of one fake Wristband server."""

from __future__ import annotations

from dataclasses import dataclass, field

from .tokens import IdTokenOverride


@dataclass
class FakeSettings:
    """What the fake answers with; read at every request, so tests may change it live."""

    client_id: str
    client_secret: str
    app_id: str
    access_token_ttl: int
    rotate_refresh_tokens: bool
    code_ttl: float
    login_url: str
    redirect_uri: str
    is_application_custom_domain_active: bool
    custom_application_login_page_url: str | None
    login_url_tenant_domain_suffix: str | None
    #: The application accepts authorize requests on its vanity domain (tenant discovery,
    #: then the chosen tenant's authorize endpoint), as auto-configuration reports.
    application_authorization_requests_enabled: bool = False
    issuer: str = ""
    id_token_override: IdTokenOverride | None = None
    #: Machine-to-machine clients (``client_credentials`` grant only): client id -> secret.
    machine_clients: dict[str, str] = field(default_factory=dict)
