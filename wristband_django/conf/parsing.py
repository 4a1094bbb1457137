"""The ``WRISTBAND_AUTH`` keys (``SETTINGS``): each key's parser, what it means, an example
and, where ``AuthConfig`` does not tell, its default.

``conf.validation.parse_auth_config`` checks a settings dict key by key with this table; the
configuration reference in ``docs/configuration.md`` is generated from it
(``docs/hooks/settings_reference.py``), with an anchor per key (``reference_url``), so a new
key gets its description and example here, next to its parser.
"""

from __future__ import annotations

from dataclasses import replace

from wristband_django.conf import fields
from wristband_django.conf.auth_config import STRATEGIES
from wristband_django.conf.bounds import (
    LOGIN_COOKIE_BUDGET_RANGE,
    MAX_JWT_LEEWAY,
)
from wristband_django.conf.django_user_settings import DJANGO_USER_SETTINGS
from wristband_django.conf.docs_links import docs_url
from wristband_django.conf.login_settings import LOGIN_SETTINGS
from wristband_django.conf.network_settings import NETWORK_SETTINGS
from wristband_django.conf.refresh_settings import REFRESH_SETTINGS
from wristband_django.conf.setting import Setting
from wristband_django.conf.webhook_settings import WEBHOOK_SETTINGS

__all__ = [
    "REQUIRED_KEYS",
    "SETTINGS",
    "SETTING_KEYS",
    "Setting",
    "reference_url",
]

#: The examples of the Django-user keys, whose ``Setting`` rows are
#: ``conf.django_user_settings``'s.
DJANGO_USER_EXAMPLES = {
    "authenticate_django_user": "True",
    "user_adapter": '"myproject.auth.AdminRolesAdapter"',
    "bearer_django_user": "True",
}

SETTINGS: dict[str, Setting] = {
    "client_id": Setting(
        fields.string,
        "The Wristband OAuth2 client id.",
        example='os.environ["WRISTBAND_CLIENT_ID"]',
    ),
    "client_secret": Setting(
        fields.string, "The client secret.", example='os.environ["WRISTBAND_CLIENT_SECRET"]'
    ),
    "wristband_application_vanity_domain": Setting(
        fields.string,  # checked as a host in parse_auth_config
        "The application's vanity domain, e.g. `yourapp-yourco.us.wristband.dev` (a host "
        "name, no scheme; a port if Wristband is reached on another one, e.g. "
        "`auth.yourapp.io:8443`).",
        example='"yourapp-yourco.us.wristband.dev"',
    ),
    "auto_configure_enabled": Setting(
        fields.boolean,
        "Fetch the values marked *auto* from Wristband's SDK-configuration endpoint on first "
        "use; values you set always win. When `False`, `login_url` and `redirect_uri` are "
        "required.",
        example="False",
    ),
    "login_url": Setting(
        fields.absolute_url,
        "This app's Login endpoint URL; contains `{tenant_name}` (or the legacy "
        "`{tenant_domain}`) when tenants use subdomains.",
        default="*auto*",
        example='"https://app.example.com/auth/login/"',
    ),
    "redirect_uri": Setting(
        fields.absolute_url,
        "This app's Callback endpoint URL, same placeholder rule.",
        default="*auto*",
        example='"https://app.example.com/auth/callback/"',
    ),
    "parse_tenant_from_root_domain": Setting(
        fields.optional_string,  # checked as a host in parse_auth_config
        "The root domain after the tenant subdomain (`yourapp.io`, no port) when tenants use "
        "subdomains.",
        default="*auto* / `None`",
        example='"yourapp.io"',
    ),
    "is_application_custom_domain_active": Setting(
        fields.optional_boolean,
        "Tenant hosts are `{tenant}.{vanity domain}` instead of `{tenant}-{vanity domain}`.",
        default="*auto* / `False`",
        example="True",
    ),
    "custom_application_login_page_url": Setting(
        fields.absolute_url,
        "Your self-hosted tenant discovery page, used instead of Wristband's.",
        default="*auto* / `None`",
        example='"https://app.example.com/choose-tenant/"',
    ),
    **LOGIN_SETTINGS,
    "login_state_secret": Setting(
        fields.unchecked,  # needs client_secret: parsed in parse_auth_config
        f"At least {fields.MIN_SECRET_LENGTH} characters; a list rotates secrets (the first seals, "
        "all open).",
        default="`client_secret`",
        example='os.environ["WRISTBAND_LOGIN_STATE_SECRET"]',
    ),
    "scopes": Setting(
        fields.string_list,
        "Requested scopes; must include `openid`.",
        example='["openid", "offline_access", "email", "roles"]',
    ),
    "token_expiration_buffer": Setting(
        fields.non_negative_int,
        "Seconds subtracted from the access token lifetime.",
        example="120",
    ),
    "dangerously_disable_secure_cookies": Setting(
        fields.boolean,
        "Drop the `Secure` cookie attribute (local http only).",
        example="True",
    ),
    "dangerously_allow_http_idp": Setting(
        fields.boolean,
        "Talk to the identity provider over `http`: for `wristband_django.testing` and demos "
        "only; real Wristband is https-only.",
        example="True",
    ),
    **NETWORK_SETTINGS,
    "default_return_url": Setting(
        fields.return_url,
        "Where the callback lands without a return URL.",
        example='"/dashboard/"',
    ),
    "allowed_return_url_hosts": Setting(
        lambda key, value: fields.host_list(key, value, allow_port=True) or (),
        "Hosts besides the request's own that `return_url` may point to (e.g. your SPA's).",
        example='["spa.example.com"]',
    ),
    "return_url_max_length": Setting(
        fields.positive_int,
        "Longer return URLs are dropped; so is one that would not fit the login cookie's "
        "share of `login_cookie_budget` once sealed (non-ASCII counts in bytes).",
        example="2048",
    ),
    "login_cookie_budget": Setting(
        fields.positive_int,
        "Bytes the (at most three) login-state cookies may add to the Cookie header "
        f"together, {LOGIN_COOKIE_BUDGET_RANGE[0]} to {LOGIN_COOKIE_BUDGET_RANGE[1]}.",
        example="6144",
    ),
    "default_tenant_name": Setting(
        fields.tenant_name, "Tenant used when the request names none.", example='"acme"'
    ),
    "default_tenant_custom_domain": Setting(
        fields.optional_host,
        "Tenant custom domain used when the request names none (before `default_tenant_name`).",
        example='"login.acme.com"',
    ),
    "tenant_custom_domains": Setting(
        fields.host_list,
        "Allow-list of tenant custom domains; when set, Wristband's validation endpoint is "
        "not asked.",
        example='["login.acme.com", "auth.globex.com"]',
    ),
    "logout_redirect_url": Setting(
        fields.absolute_url,
        "Where Wristband sends the browser after logout (default: your login URL).",
        example='"https://app.example.com/logged-out/"',
    ),
    "allow_logout_get": Setting(
        fields.boolean,
        "Also log out on `GET` (Wristband's React SDK navigates to the logout URL), but only "
        "for this site's own top-level navigations (Fetch Metadata); any other `GET` gets a "
        "confirmation page.",
        example="True",
    ),
    "session_metadata_claims": Setting(
        fields.string_list,
        "Stored claims the Session endpoint returns as `metadata`.",
        example='["email", "name"]',
    ),
    "protected_paths": Setting(
        fields.path_patterns,
        "Path prefixes (`/api/`) or regular expressions (`^/reports/\\d+/`) where the "
        "middleware answers 401 without a session.",
        example='["/api/"]',
    ),
    "protected_paths_strategies": Setting(
        lambda key, value: fields.choices(key, value, allowed=STRATEGIES),
        'How requests under `protected_paths` may authenticate, tried in order: `"session"` '
        '(the login cookie), `"bearer"` (`Authorization: Bearer <access token>`), or both '
        '(`["session", "bearer"]`).',
        example='["session", "bearer"]',
    ),
    **REFRESH_SETTINGS,
    "token_encryption_key": Setting(
        lambda key, value: fields.secret_list(key, value, fallback=()),
        "Secret(s) the tokens are encrypted with at rest (each at least "
        f"{fields.MIN_SECRET_LENGTH} characters); a list rotates keys: the first encrypts, all "
        "decrypt.",
        default="`SECRET_KEY` (+ `SECRET_KEY_FALLBACKS`)",
        example='os.environ["WRISTBAND_TOKEN_ENCRYPTION_KEY"]',
    ),
    "track_sessions": Setting(
        fields.boolean,
        "Keep one `LoginSession` row per live login for the admin (needs `migrate`).",
        example="False",
    ),
    **WEBHOOK_SETTINGS,
    **{
        key: setting if setting.example else replace(setting, example=DJANGO_USER_EXAMPLES[key])
        for key, setting in DJANGO_USER_SETTINGS.items()
    },
    "jwks_cache_ttl": Setting(
        fields.positive_int,
        "Seconds Wristband's signing keys are trusted before they are fetched again (a key "
        "Wristband stops publishing is refused after at most this). Failed fetches back off "
        "from 1 s to 60 s.",
        example="600",
    ),
    "jwks_cache_max_size": Setting(
        fields.positive_int,
        "Most signing keys kept from Wristband's JWKS (a count, not seconds or bytes); keys "
        "beyond it are ignored, with a warning.",
        example="10",
    ),
    "jwt_leeway": Setting(
        lambda key, value: fields.bounded_int(key, value, low=0, high=MAX_JWT_LEEWAY),
        "Seconds of clock skew allowed on every JWT's `exp`, `iat` and `nbf` (ID tokens and "
        f"bearer access tokens); 0 to {MAX_JWT_LEEWAY}.",
        example="30",
    ),
    "allowed_bearer_client_ids": Setting(
        fields.optional_string_list,
        "Client ids whose bearer access tokens are accepted. `None`: any client of your "
        "Wristband application, machine-to-machine clients included; a list: only those.",
        example='["your-m2m-client-id"]',
    ),
    "access_token_cache_max_size": Setting(
        fields.non_negative_int,
        "Most bearer access tokens remembered per process once they passed every check, so "
        "that the same token is not checked again until it expires or its key is no longer "
        "trusted (a count, about 2.4 KB each; the least recently used goes first). `0`: "
        "check every request's token in full.",
        example="0",
    ),
    "custom_domain_cache_ttl": Setting(
        fields.positive_int,
        "Seconds a custom domain's check is trusted, per process (1,024 confirmed and 1,024 "
        "rejected kept); a confirmed one is used up to 12 times longer while none can be made.",
        example="600",
    ),
    "custom_domain_checks_per_minute": Setting(
        fields.positive_int,
        "Checks with Wristband per process and minute for domains not remembered, a tenth of "
        "them at most for one client address; beyond that a domain counts as unconfirmed.",
        example="120",
    ),
    "store_retry_window": Setting(
        fields.positive_number,
        "Seconds a refresh that got new tokens from Wristband keeps retrying to store them "
        "(the newest-tokens record, then the session) and to release its lock while the store "
        "does not answer, e.g. during a Redis Sentinel failover or a restart; never past the "
        "lock's expiry. Wristband has already rotated the refresh token, so dropping the new "
        "tokens would log the user out at the next refresh. Make it longer than your "
        "failover (Sentinel's `down-after-milliseconds` plus the promotion).",
        example="30",
    ),
    "lock_cache_alias": Setting(
        fields.optional_string,
        "Cache for the refresh lock and the newest-tokens record (default: the session cache "
        "for cache-based engines, else `default`).",
        example='"locks"',
    ),
    "session_rolling_interval": Setting(
        lambda key, value: None if value is None else fields.positive_int(key, value),
        "Seconds: a rolling expiry for Wristband sessions, renewed at most once per interval "
        "(one session write and one `Set-Cookie` per interval, not per request); less than "
        "`SESSION_COOKIE_AGE`. `None`: the session expires `SESSION_COOKIE_AGE` after it was "
        "last saved, as Django does. See "
        "[Rolling sessions](deployment.md#rolling-sessions).",
        example="300",
    ),
}
SETTING_KEYS = frozenset(SETTINGS)
REQUIRED_KEYS = ("client_id", "client_secret", "wristband_application_vanity_domain")


def reference_url(key: str | None) -> str:
    """Return the URL of the configuration reference: at ``key``'s row when it is a key
    (the generated table gives each row the key as its anchor), else at the table."""
    if key in SETTINGS:
        return f"{docs_url('configuration')}#{key}"
    return docs_url("configuration", "reference")
