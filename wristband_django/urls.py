"""Mount with ``path("auth/", include("wristband_django.urls"))``."""

from django.urls import path

from wristband_django import views
from wristband_django.web.popup_done import PopupDoneView

__all__ = [
    "app_name",
    "urlpatterns",
]

app_name = "wristband"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("callback/", views.CallbackView.as_view(), name="callback"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("session/", views.SessionView.as_view(), name="session"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("popup-done/", PopupDoneView.as_view(), name="popup_done"),
]
