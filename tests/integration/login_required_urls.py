"""A project that serves Django's default ``LOGIN_URL`` itself (django.contrib.auth's login
view under ``accounts/``) beside Wristband's endpoints: check W008 leaves it alone."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("auth/", include("wristband_django.urls")),
]
