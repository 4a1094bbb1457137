"""Example project settings, from environment variables.

With WRISTBAND_CLIENT_ID, WRISTBAND_CLIENT_SECRET and WRISTBAND_APPLICATION_VANITY_DOMAIN
set, it talks to your real Wristband application. Without them it starts an embedded fake
Wristband (wristband_django.testing) on DEMO_WRISTBAND_PORT, so it runs with no account.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-insecure-key")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["localhost", ".localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "wristband_django",
    "example_project.demo",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wristband_django.middleware.WristbandAuthMiddleware",
]
ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],  # its wristband_django/error.html overrides the app's
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # {{ wristband.is_authenticated }}: the pages know who is logged in without
                # asking the Session endpoint (whose 401 a browser logs as an error).
                "wristband_django.context_processors.wristband",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_SQLITE_PATH", BASE_DIR.parent / "example.sqlite3"),
    }
}
USE_TZ = True
STATIC_URL = "static/"

# Sessions: Redis through django-redis when REDIS_URL is set, else the database (SQLite).
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

REAL_WRISTBAND = bool(os.environ.get("WRISTBAND_CLIENT_ID"))
PORT = int(os.environ.get("PORT", "8000"))
DEMO_WRISTBAND_PORT = int(os.environ.get("DEMO_WRISTBAND_PORT", "8001"))
DEMO_ACCESS_TOKEN_TTL = int(os.environ.get("DEMO_ACCESS_TOKEN_TTL", "35"))
# Tenant subdomains: http://acme.localhost:8000 (browsers resolve *.localhost to loopback).
TENANT_SUBDOMAINS = os.environ.get("DEMO_TENANT_SUBDOMAINS") == "1"
# The embedded fake takes application-level authorization requests (Wristband's default for
# new applications): "Log in (choose your tenant at Wristband)" sends the login, with its
# login state, to Wristband's tenant discovery, and it completes for the tenant you choose.
# Auto-configuration tells the app. DEMO_APPLICATION_LEVEL_LOGIN=0: the application login
# page instead, whose links come back to the Login endpoint with the tenant. Query mode
# only: on tenant subdomains each site already names its tenant.
APPLICATION_LEVEL_LOGIN = (
    os.environ.get("DEMO_APPLICATION_LEVEL_LOGIN", "1") == "1" and not TENANT_SUBDOMAINS
)
APP_ORIGIN = os.environ.get(
    "APP_ORIGIN",
    f"http://{{tenant_name}}.localhost:{PORT}" if TENANT_SUBDOMAINS else f"http://localhost:{PORT}",
)
# The Logout endpoint also takes GET, as Wristband's React SDK logs out (a navigation to it):
# it logs out on this site's own top-level navigations only, and any other GET (another
# site's link or image) gets a page whose button logs out by POST. DEMO_ALLOW_LOGOUT_GET=0:
# POST only, the app's default.
ALLOW_LOGOUT_GET = os.environ.get("DEMO_ALLOW_LOGOUT_GET", "1") == "1"
# What the pages show needs its scope (Wristband, and the fake, return a claim only with it):
# profile for the user's name, email for the address, roles for the roles.
SCOPES = ["openid", "offline_access", "email", "profile", "roles"]
# The Session endpoint's metadata: the default claims, and the roles the pages show.
SESSION_METADATA_CLAIMS = ["email", "name", "tenant_name", "idp_name", "roles"]

if REAL_WRISTBAND:
    WRISTBAND_AUTH = {
        "client_id": os.environ["WRISTBAND_CLIENT_ID"],
        "client_secret": os.environ["WRISTBAND_CLIENT_SECRET"],
        "wristband_application_vanity_domain": os.environ["WRISTBAND_APPLICATION_VANITY_DOMAIN"],
        "dangerously_disable_secure_cookies": APP_ORIGIN.startswith("http://"),
        "protected_paths": ["/api/"],
        "allow_logout_get": ALLOW_LOGOUT_GET,
        "scopes": SCOPES,
        "session_metadata_claims": SESSION_METADATA_CLAIMS,
    }
    if os.environ.get("WRISTBAND_LOGIN_STATE_SECRET"):
        WRISTBAND_AUTH["login_state_secret"] = os.environ["WRISTBAND_LOGIN_STATE_SECRET"]
else:
    # The embedded fake Wristband (see demo/fake_idp.py) answers auto-configuration with
    # APP_ORIGIN's login and callback URLs, and "localhost" as the root domain in
    # tenant-subdomain mode.
    WRISTBAND_AUTH = {
        "client_id": "demo-client",
        "client_secret": "demo-client-secret-not-for-production-use",
        "wristband_application_vanity_domain": f"localhost:{DEMO_WRISTBAND_PORT}",
        "dangerously_allow_http_idp": True,  # the embedded fake speaks http
        "dangerously_disable_secure_cookies": True,  # the demo runs on http://localhost
        "protected_paths": ["/api/"],
        "token_expiration_buffer": 5,  # with a 35 s token: a refresh every 30 s
        "allow_logout_get": ALLOW_LOGOUT_GET,
        "scopes": SCOPES,
        "session_metadata_claims": SESSION_METADATA_CLAIMS,
    }
