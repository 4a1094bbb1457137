"""The URLconf of g (``bench.admin_scale``): the admin and the package's login views."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("auth/", include("wristband_django.urls")),
]
