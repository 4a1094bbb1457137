from django.urls import include, path

from example_project.demo import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signed-out/", views.signed_out, name="signed-out"),
    path("api/hello/", views.hello, name="hello"),
    path("spa/", views.spa, name="spa"),
    path("spa/messages/", views.send_message, name="messages"),
    # Customised Session and Logout endpoints, mounted before the app's own URLs so they win.
    path("auth/session/", views.DemoSessionView.as_view()),
    path("auth/logout/", views.DemoLogoutView.as_view()),
    path("auth/", include("wristband_django.urls")),
]
