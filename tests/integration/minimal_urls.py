from django.urls import include, path

urlpatterns = [path("auth/", include("wristband_django.urls"))]
