"""The suite's URLconf with the webhook view mounted, as a project mounts it."""

from django.urls import path

from tests.support.urls import urlpatterns as suite_urlpatterns
from wristband_django.contrib.webhooks import WristbandWebhookView

urlpatterns = [
    *suite_urlpatterns,
    path("webhooks/wristband/", WristbandWebhookView.as_view()),
]
