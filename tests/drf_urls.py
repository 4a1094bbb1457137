"""URLs for test_drf.py: the app's endpoints and the DRF views defined in that module."""

from django.urls import include, path

from tests import test_drf, views

urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("page/", views.page_with_a_form),  # sets the CSRF cookie
    path("drf/session/", test_drf.SessionOnly.as_view()),
    path("drf/bearer/", test_drf.BearerOnly.as_view()),
    path("drf/both/", test_drf.Both.as_view()),
]
