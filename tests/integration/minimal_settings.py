"""The smallest project: no django.contrib.auth, no admin (the default, integration off)."""

SECRET_KEY = "minimal-tests-only"
INSTALLED_APPS = ["django.contrib.sessions", "wristband_django"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "wristband_django.middleware.WristbandAuthMiddleware",
]
ROOT_URLCONF = "tests.integration.minimal_urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
USE_TZ = True
ALLOWED_HOSTS = ["testserver"]
WRISTBAND_AUTH = {
    "client_id": "c",
    "client_secret": "s" * 32,
    "wristband_application_vanity_domain": "app-co.us.wristband.dev",
    "login_url": "https://app.test/auth/login/",
    "redirect_uri": "https://app.test/auth/callback/",
}
