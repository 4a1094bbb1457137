"""URLs for tests/contrib/test_drf.py and tests/security/test_amplification.py: the app's
endpoints and the DRF views."""

from django.urls import include, path

from tests.support import drf_views, views

urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("page/", views.page_with_a_form),  # sets the CSRF cookie
    path("drf/session/", drf_views.SessionOnly.as_view()),
    path("drf/bearer/", drf_views.BearerOnly.as_view()),
    path("drf/both/", drf_views.Both.as_view()),
    path("drf/admins/", drf_views.Admins.as_view()),
    path("drf/admins-attribute/", drf_views.AdminsByAttribute.as_view()),
]
