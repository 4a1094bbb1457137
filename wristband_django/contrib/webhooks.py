"""An optional view for Wristband's webhooks: when Wristband says a user or a tenant was
deleted or deactivated, every session of theirs here ends (``sessions.end_sessions``).

Wristband sends webhooks (Pro plan and above; enable them under Webhooks in the dashboard,
then add an endpoint in its webhook portal) through Svix, signed as
``contrib.webhook_signatures`` checks. Mount the view in your URLconf, set
``WRISTBAND_AUTH["webhook_signing_secret"]`` to the endpoint's signing secret, and subscribe
the endpoint to these events:

``v1.user.deleted``
    every session of the user ``data.object.id`` ends;
``v1.user.updated`` with ``data.object.status`` ``"INACTIVE"`` (the user was deactivated)
    the same;
``v1.tenant.deleted``
    every session of the tenant ``data.object.id`` ends;
``v1.tenant.updated`` with ``data.object.status`` ``"INACTIVE"``
    the same.

Any other event that verifies is answered 200 and ignored. The answers: 200 with
``{"type", "sessions_ended"}``; 400 for a request that is no signed delivery or an event
without the id it needs; 401 for a signature or timestamp that does not verify (logged at
WARNING, without the request's values); 503 with ``Retry-After`` when the session store does
not answer (the webhook service retries the delivery later). A message id already acted on
in the last 10 minutes is answered 200 again without acting (a replayed delivery).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Final

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt

from wristband_django.conf import AuthConfig, get_config
from wristband_django.conf.docs_links import docs_url
from wristband_django.contrib.webhook_signatures import (
    TOLERANCE_SECONDS,
    WebhookVerificationError,
    verify_webhook,
)
from wristband_django.errors import StoreUnavailableError
from wristband_django.flows.end_session import end_sessions_of
from wristband_django.store.locations import lock_cache_alias
from wristband_django.store.stored_session import STORE_ERRORS
from wristband_django.web.login_not_required import LoginNotRequiredMixin
from wristband_django.web.responses import error_response

__all__ = [
    "EVENTS",
    "WristbandWebhookView",
]

logger = logging.getLogger(__name__)

#: The events that end sessions, and whose: the user's or the tenant's (``data.object.id``).
EVENTS: Final = {
    "v1.user.deleted": "user_id",
    "v1.user.updated": "user_id",
    "v1.tenant.deleted": "tenant_id",
    "v1.tenant.updated": "tenant_id",
}
#: An ``*.updated`` event ends sessions only with this status (deactivated).
INACTIVE: Final = "INACTIVE"
#: How long a message id acted on is remembered: the whole window its timestamp is accepted.
REMEMBER_SECONDS: Final = 2 * TOLERANCE_SECONDS

NEEDS_SECRET = (
    'WristbandWebhookView needs WRISTBAND_AUTH["webhook_signing_secret"], the signing secret '
    "of this endpoint in Wristband's webhook portal: without it no delivery can be verified. "
    f"See {docs_url('deployment', 'wristbands-webhooks')}"
)


class WebhookEventError(ValueError):
    """A verified event that lacks what its type needs (``data.object.id``)."""


def sessions_to_end(event: dict[str, Any]) -> tuple[str | None, str | None] | None:
    """Return whose sessions the event ends, as ``(user_id, tenant_id)`` (one of them
    ``None``), or ``None`` for an event that ends none. Raise ``WebhookEventError`` for an
    event of a handled type without a usable ``data.object``."""
    scope = EVENTS.get(str(event.get("type")))
    if scope is None:
        return None
    data = event.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        raise WebhookEventError("the event has no data.object")
    if str(event["type"]).endswith(".updated") and found.get("status") != INACTIVE:
        return None
    object_id = found.get("id")
    if not isinstance(object_id, str) or not object_id.strip():
        raise WebhookEventError("the event's data.object has no id")
    return (object_id, None) if scope == "user_id" else (None, object_id)


def _record_key(message_id: str) -> str:
    return "wristband:webhook:" + hashlib.sha256(message_id.encode()).hexdigest()[:32]


@method_decorator(csrf_exempt, name="dispatch")
class WristbandWebhookView(LoginNotRequiredMixin):
    """Receives Wristband's webhooks, verifies them and ends the sessions of the users and
    tenants they say were deleted or deactivated (see the module). Exempt from CSRF and from
    ``LoginRequiredMiddleware``: the signature is the caller's proof. Keep its path out of
    ``protected_paths``."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> JsonResponse:
        """Verify the delivery, then act on its event once."""
        config = get_config()
        if not config.webhook_signing_secret:
            raise ImproperlyConfigured(NEEDS_SECRET)
        try:
            delivery = verify_webhook(config.webhook_signing_secret, request.headers, request.body)
            scope = sessions_to_end(delivery.event)
        except WebhookVerificationError as exc:
            logger.warning("Refused a webhook delivery: %s", exc.reason)
            return JsonResponse(
                {"error": "invalid_delivery", "reason": exc.reason}, status=exc.status
            )
        except WebhookEventError as exc:
            logger.warning("Refused a webhook event: %s", exc)
            return JsonResponse({"error": "invalid_event", "reason": str(exc)}, status=400)
        event_type = str(delivery.event.get("type"))
        if scope is None:
            return JsonResponse({"type": event_type, "sessions_ended": 0})
        try:
            return self.end_sessions(request, config, delivery.message_id, event_type, scope)
        except StoreUnavailableError as exc:
            logger.error("Could not act on webhook %s: %s", event_type, exc.error_description)
            return error_response(exc)

    def end_sessions(
        self,
        request: HttpRequest,
        config: AuthConfig,
        message_id: str,
        event_type: str,
        scope: tuple[str | None, str | None],
    ) -> JsonResponse:
        """End the sessions the event names, unless this message was acted on already; the
        message is remembered only once they have ended (a failed try is tried again)."""
        records = caches[lock_cache_alias(config.lock_cache_alias)]
        key = _record_key(message_id)
        try:
            if records.get(key) is not None:
                return JsonResponse({"type": event_type, "sessions_ended": 0, "replayed": True})
        except STORE_ERRORS as exc:
            raise StoreUnavailableError(type(exc).__name__) from exc
        user_id, tenant_id = scope
        ended = end_sessions_of(config, user_id=user_id, tenant_id=tenant_id, request=request)
        try:
            records.set(key, 1, REMEMBER_SECONDS)
        except STORE_ERRORS:  # acted on: a retry would find the sessions gone, count 0
            logger.warning("Could not remember webhook message %s as done", message_id[:64])
        logger.info("Webhook %s ended %d session(s)", event_type, ended.count)
        return JsonResponse({"type": event_type, "sessions_ended": ended.count})
