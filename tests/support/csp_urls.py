"""The URLs of tests/support/csp_settings.py's site: this app's endpoints and two pages."""

from django.urls import include, path

from tests.support import csp_site

urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("elsewhere/", csp_site.another_site_link),
    path("inline-style/", csp_site.inline_style),
]
