"""wristband_django: its URLs, and ``/api/`` protected by the middleware (protected_paths)."""

from django.urls import include, path

from benchsite.views import hello

urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("api/hello/", hello),  # protected: WRISTBAND_AUTH["protected_paths"] = ["/api/"]
    path("plain/hello/", hello),  # served by the handler without the middleware (wsgi.py)
]
