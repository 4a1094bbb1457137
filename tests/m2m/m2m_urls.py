from django.urls import path

from tests.m2m import m2m_views

urlpatterns = [
    path("m2m/token/", m2m_views.token),
    path("m2m/ping/", m2m_views.ping),
]
