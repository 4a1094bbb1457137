from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from tests.support import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("auth/", include("wristband_django.urls")),
    path("page/", views.page_with_a_form),
    path("api/whoami/", views.whoami),
    path("api/async-whoami/", views.async_whoami),
    path("api/slow-write/", views.slow_writer),
    path("open/", views.whoami),
    path("decorated/", views.decorated),
    path("decorated-page/", views.decorated_page),
    path("async-decorated/", views.async_decorated),
    path("mixin/", views.MixinView.as_view()),
    path("async-mixin/", views.AsyncMixinView.as_view()),
    path("api/caller/", views.caller),
    path("bearer/", views.bearer_only),
    path("async-bearer/", views.async_bearer_only),
    path("either/", views.session_then_bearer),
    path("page-or-bearer/", views.page_or_bearer),
    path("admins/", views.admins),
    path("async-admins/", views.async_admins),
    path("admins-mixin/", views.AdminsMixinView.as_view()),
    path("async-admins-mixin/", views.AsyncAdminsMixinView.as_view()),
    path("django-user/", login_required(views.django_user, login_url="/auth/login/")),
    path("step-up-page/", views.step_up_page),
    path("step-up-api/", views.step_up_api),
    path("async-step-up-api/", views.async_step_up_api),
    path("step-up-either/", views.step_up_either),
    path("step-up-admins/", views.step_up_admins),
    path("step-up-mixin-page/", views.StepUpMixinPage.as_view()),
    path("async-step-up-mixin-api/", views.AsyncStepUpMixinApi.as_view()),
    path("hooked-callback/", views.HookedCallbackView.as_view()),
]
