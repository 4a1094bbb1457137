"""``AuthConfig``: the validated ``WRISTBAND_AUTH`` settings, frozen."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

#: How a request may authenticate: its Wristband session (cookie), a bearer access token.
Strategy = Literal["session", "bearer"]
STRATEGIES: tuple[Strategy, ...] = ("session", "bearer")


@dataclass(frozen=True)
class AuthConfig:
    """The validated ``WRISTBAND_AUTH`` settings; each key is described next to its parser
    (``conf.parsing.SETTINGS``, rendered in docs/configuration.md)."""

    client_id: str
    client_secret: str = field(repr=False)
    wristband_application_vanity_domain: str
    auto_configure_enabled: bool = True
    login_url: str | None = None
    redirect_uri: str | None = None
    parse_tenant_from_root_domain: str | None = None
    is_application_custom_domain_active: bool | None = None
    custom_application_login_page_url: str | None = None
    #: A login without a tenant goes to the application-level authorize endpoint; ``None``: auto.
    application_authorization_requests_enabled: bool | None = None
    #: The login-state secrets, newest first: the first encrypts, all decrypt.
    login_state_secrets: tuple[str, ...] = field(default=(), repr=False)
    scopes: tuple[str, ...] = ("openid", "offline_access", "email")
    token_expiration_buffer: int = 60
    dangerously_disable_secure_cookies: bool = False
    dangerously_allow_http_idp: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    #: Total seconds one call to Wristband may take: connect, send, every byte of the answer.
    call_timeout: float = 10.0
    #: Total seconds for all of one callback's calls to Wristband (exchange, keys, userinfo).
    callback_timeout: float = 15.0
    #: The proxy for calls to Wristband; ``None``: the environment's, ``False``: none.
    #: Not in the repr: it may carry a password.
    proxy_url: str | Literal[False] | None = field(default=None, repr=False)
    #: The CA bundle Wristband's certificate is checked against; ``None``: the environment's.
    ca_bundle: str | None = None
    default_return_url: str = "/"
    allowed_return_url_hosts: tuple[str, ...] = ()
    return_url_max_length: int = 1024
    default_tenant_name: str | None = None
    default_tenant_custom_domain: str | None = None
    tenant_custom_domains: tuple[str, ...] | None = None
    logout_redirect_url: str | None = None
    allow_logout_get: bool = False
    session_metadata_claims: tuple[str, ...] = (
        "email",
        "name",
        "tenant_name",
        "idp_name",
    )
    protected_paths: tuple[str, ...] = ()
    #: How requests under ``protected_paths`` may authenticate, tried in order.
    protected_paths_strategies: tuple[Strategy, ...] = ("session",)
    refresh_max_attempts: int = 3
    #: After a refresh's retries, 5xx and timeouts keep the session (503) instead of ending it.
    keep_session_when_wristband_unavailable: bool = False
    refresh_timeout: float = 10.0
    #: How long a refresh lock lives; must outlast the refresh's whole deadline (default:
    #: ``refresh_timeout`` + ``DEFAULT_LOCK_MARGIN_SECONDS``).
    refresh_lock_timeout: float = 15.0
    #: Seconds a refresh keeps retrying to store the new tokens (and release its lock)
    #: while the store does not answer, e.g. during a Redis failover.
    store_retry_window: float = 10.0
    lock_cache_alias: str | None = None
    #: Seconds between two extensions of a session's expiry; ``None``: no rolling expiry.
    session_rolling_interval: int | None = None
    jwks_cache_ttl: int = 3600
    jwks_cache_max_size: int = 20
    jwt_leeway: int = 60
    #: Client ids whose bearer access tokens are accepted; ``None``: any of the application's.
    allowed_bearer_client_ids: tuple[str, ...] | None = None
    #: Bearer access tokens remembered once checked, until they expire; 0: none.
    access_token_cache_max_size: int = 1024
    custom_domain_cache_ttl: int = 300
    custom_domain_checks_per_minute: int = 60
    login_cookie_budget: int = 4096
    #: Token-encryption secrets, newest first; empty: Django's SECRET_KEY (+ fallbacks).
    token_encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    track_sessions: bool = True
    #: The webhook endpoint's signing secrets (``contrib.webhooks``); empty: none set.
    webhook_signing_secret: tuple[str, ...] = field(default=(), repr=False)
    authenticate_django_user: bool = False
    user_adapter: str = "wristband_django.user_adapter.UserAdapter"
    #: A bearer token's ``request.user`` is its user's Django user (never a machine's).
    bearer_django_user: bool = False

    @property
    def wristband_scheme(self) -> str:
        """Return the scheme of every Wristband URL.

        It is ``https``, or ``http`` when ``dangerously_allow_http_idp`` is set.
        """
        return "http" if self.dangerously_allow_http_idp else "https"

    @cached_property  # every request with a bearer token asks (via ``issuer``)
    def wristband_base_url(self) -> str:
        """Return ``https://{vanity domain}``, where every server-to-server call goes."""
        return f"{self.wristband_scheme}://{self.wristband_application_vanity_domain}"

    @cached_property
    def issuer(self) -> str:
        """Return the ``iss`` that every Wristband token for this application carries."""
        return self.wristband_base_url
