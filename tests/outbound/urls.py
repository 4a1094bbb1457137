from django.urls import include, path

from tests.outbound import views

urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("orders/requests/", views.with_requests),
    path("orders/httpx/", views.with_httpx),
    path("orders/async-httpx/", views.with_async_httpx),
]
