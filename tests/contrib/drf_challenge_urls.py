"""URLs for tests/contrib/test_drf_challenges.py: the app's endpoints and a DRF view taking
both authentication classes, in each order."""

from __future__ import annotations

from django.urls import include, path

from tests.support import drf_views
from wristband_django.contrib.drf import (
    WristbandBearerAuthentication,
    WristbandSessionAuthentication,
)


class SessionFirst(drf_views.SessionOnly):
    authentication_classes = [WristbandSessionAuthentication, WristbandBearerAuthentication]


class BearerFirst(drf_views.SessionOnly):
    authentication_classes = [WristbandBearerAuthentication, WristbandSessionAuthentication]


urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("session-first/", SessionFirst.as_view()),
    path("bearer-first/", BearerFirst.as_view()),
    path("session-only/", drf_views.SessionOnly.as_view()),
]
