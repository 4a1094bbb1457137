from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from example_project.demo import views

urlpatterns = [
    path("", views.home, name="home"),
    path("logged-out/", views.logged_out, name="logged-out"),
    # Browsers ask for /favicon.ico on pages that name no icon (the app's own pages).
    path("favicon.ico", RedirectView.as_view(url=static("demo/favicon.svg"))),
    path("api/hello/", views.hello, name="hello"),
    path("spa/", views.spa, name="spa"),
    path("spa/messages/", views.send_message, name="messages"),
    # Customised Session and Logout endpoints, mounted before the app's own URLs so they win.
    path("auth/session/", views.DemoSessionView.as_view()),
    path("auth/logout/", views.DemoLogoutView.as_view()),
    path("auth/", include("wristband_django.urls")),
]
