from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def page_with_a_form(request: HttpRequest) -> HttpResponse:
    """Stands for any page of the site that renders {% csrf_token %}."""
    return HttpResponse("ok")


urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("page/", page_with_a_form),
]
