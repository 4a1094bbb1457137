"""The test URLconf plus the rolling-session tests' own views (``@pytest.mark.urls``)."""

from django.urls import path

from tests.sessions import rolling_views
from tests.support.urls import urlpatterns as base_urlpatterns

urlpatterns = [
    *base_urlpatterns,
    path("api/held/", rolling_views.held),
    path("api/cart/", rolling_views.add_to_cart),
    path("api/broken/", rolling_views.server_error),
]
