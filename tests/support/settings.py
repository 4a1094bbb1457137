"""Django settings for the test suite (sessions backends are switched per test)."""

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "tests.support.urls"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.sessions",
    "wristband_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wristband_django.middleware.WristbandAuthMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "wristband_django.backends.WristbandBackend",
    "django.contrib.auth.backends.ModelBackend",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
# Django's advice for test suites: a fast hasher for the passwords tests give their users
# (PBKDF2's 0.25 s per user is a deliberate cost that tests do not need to pay).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WRISTBAND_AUTH = {
    "client_id": "test-client",
    "client_secret": "test-client-secret-0123456789abcdef",
    "wristband_application_vanity_domain": "app-test.us.wristband.dev",
    "login_url": "https://app.test/auth/login",
    "redirect_uri": "https://app.test/auth/callback",
    # What this project shows and checks needs these scopes, at Wristband as at the fake:
    # roles for its role-protected views and the admin, profile for the names it shows.
    "scopes": ["openid", "offline_access", "email", "profile", "roles"],
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"wristband_django": {"level": "DEBUG"}},
}
