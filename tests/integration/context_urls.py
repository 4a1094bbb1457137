"""A page rendering the ``wristband`` template context
(tests/integration/test_context_processor.py)."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

PAGE = (
    "{% if wristband.is_authenticated %}in:{{ wristband.user_id }}|{{ wristband.tenant_id }}|"
    "{{ wristband.tenant_name }}|{{ wristband.email }}|{{ wristband.name }}"
    "{% else %}out{% endif %}|{{ wristband.login_url }}|{{ wristband.logout_url }}|{{ wristband }}"
)


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(PAGE).render(request=request))


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string("no identity here").render(request=request))


urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("page/", page),
    path("plain/", plain),
]
