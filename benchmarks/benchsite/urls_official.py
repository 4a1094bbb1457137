"""wristband-django-auth: its login and callback views, ``/api/`` protected by its decorator."""

from django.urls import path

from benchsite import official
from benchsite.views import hello

urlpatterns = [
    path("auth/login/", official.login_endpoint),
    path("auth/callback/", official.callback_endpoint),
    path("api/hello/", official.protected_hello),
    path("plain/hello/", hello),
]
