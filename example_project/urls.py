from django.urls import include, path

from example_project.demo import views

urlpatterns = [
    path("", views.home, name="home"),
    path("api/hello/", views.hello, name="hello"),
    # A customised Session endpoint, mounted before the app's own URLs so it wins.
    path("auth/session/", views.DemoSessionView.as_view()),
    path("auth/", include("wristband_django.urls")),
]
