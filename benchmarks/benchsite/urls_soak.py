"""j, the soak (``BENCH_URLCONF=benchsite.urls_soak``): the package's URLs, a session view and a
bearer view behind ``@wristband_required``, machine tokens, and the caches report."""

from django.urls import include, path

from benchsite import soak_views
from benchsite.views import hello

urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("api/hello/", hello),  # protected by the middleware (protected_paths)
    path("plain/hello/", hello),  # the handler without the middleware (wsgi.py)
    path("session/hello/", soak_views.session_hello),
    path("bearer/hello/", soak_views.bearer_hello),
    path("m2m/<int:index>/", soak_views.machine_token),
    path("bench/caches/", soak_views.caches),
]
