from django.urls import include, path

from example_project.demo import views

urlpatterns = [
    path("", views.home, name="home"),
    path("auth/", include("wristband_django.urls")),
]
