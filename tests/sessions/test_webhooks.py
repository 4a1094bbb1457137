"""Wristband's webhooks (sent through Svix): a delivery signed with the endpoint's secret that
says a user or a tenant was deleted or deactivated ends their sessions; anything not signed
so, stale, replayed or malformed ends nothing and gets a 4xx, never a 500.

The signatures here are made as Svix's documentation says, independently of the code under
test; one test checks Svix's own published example."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from wristband_django import testing
from wristband_django.conf import InvalidSettings, parse_auth_config
from wristband_django.contrib.webhook_signatures import WebhookVerificationError, verify_webhook
from wristband_django.models import LoginSession
from wristband_django.testing import FakeWristband

KEY = os.urandom(24)
SECRET = "whsec_" + base64.b64encode(KEY).decode()
URL = "/webhooks/wristband/"

pytestmark = [
    pytest.mark.urls("tests.sessions.webhook_urls"),
    pytest.mark.wristband_settings(protected_paths=["/api/"], webhook_signing_secret=SECRET),
]


def event(event_type: str, obj: dict[str, Any], tenant_id: str = "tnt_acme") -> bytes:
    """A body shaped as Wristband's event catalog shows its events."""
    return json.dumps(
        {
            "applicationId": "app_test",
            "data": {"object": obj},
            "id": f"evt_{os.urandom(6).hex()}",
            "tenantId": tenant_id,
            "timestamp": "2026-04-24T21:32:19.349Z",
            "type": event_type,
        }
    ).encode()


def svix_headers(
    body: bytes,
    *,
    key: bytes = KEY,
    message_id: str | None = None,
    timestamp: int | None = None,
    prefix: str = "svix",
) -> dict[str, str]:
    """The headers Svix sends: HMAC-SHA256 of ``{id}.{timestamp}.{body}``, base64, ``v1,``."""
    message_id = message_id or f"msg_{os.urandom(8).hex()}"
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        f"{prefix}-id": message_id,
        f"{prefix}-timestamp": stamp,
        f"{prefix}-signature": "v1," + base64.b64encode(digest).decode(),
    }


def deliver(body: bytes, headers: dict[str, str]) -> Any:
    """POST as the webhook service does: no cookie, no CSRF token (and CSRF checked)."""
    client = Client(enforce_csrf_checks=True)
    return client.post(URL, body, content_type="application/json", headers=headers)


def log_in_acme_and_globex(fake: FakeWristband) -> dict[str, Client]:
    clients = {}
    for user in ("admin@acme.test", "member@acme.test", "admin@globex.test"):
        clients[user] = Client()
        testing.log_in(clients[user], fake, user)
    return clients


def answers(clients: dict[str, Client]) -> dict[str, int]:
    return {user: client.get("/api/whoami/").status_code for user, client in clients.items()}


def test_svix_published_example_verifies() -> None:
    """Svix's documented example: secret, headers, payload and signature, as published."""
    delivery = verify_webhook(
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        {
            "svix-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "svix-timestamp": "1614265330",
            "svix-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        },
        b'{"test": 2432232314}',
        now=1614265330,
    )
    assert delivery.event == {"test": 2432232314}
    assert delivery.message_id == "msg_p5jXN8AQM9LWM0D4loKWxJek"
    with pytest.raises(WebhookVerificationError, match="no signature") as refused:
        verify_webhook(
            ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            {
                "svix-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
                "svix-timestamp": "1614265330",
                "svix-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            },
            b'{"test": 2432232315}',  # one digit changed
            now=1614265330,
        )
    assert refused.value.status == 401


def test_a_deleted_user_loses_every_session(wristband: FakeWristband) -> None:
    clients = log_in_acme_and_globex(wristband)
    body = event("v1.user.deleted", {"id": "usr_acme_admin", "tenantId": "tnt_acme"})
    response = deliver(body, svix_headers(body))
    assert response.status_code == 200
    assert response.json() == {"type": "v1.user.deleted", "sessions_ended": 1}
    assert answers(clients) == {
        "admin@acme.test": 401,
        "member@acme.test": 200,
        "admin@globex.test": 200,
    }
    assert len(wristband.calls("revoke")) == 1


def test_a_deactivated_user_loses_every_session_and_other_updates_end_none(
    wristband: FakeWristband,
) -> None:
    clients = log_in_acme_and_globex(wristband)
    renamed = event("v1.user.updated", {"id": "usr_acme_member", "status": "ACTIVE"})
    assert deliver(renamed, svix_headers(renamed)).json()["sessions_ended"] == 0
    assert answers(clients)["member@acme.test"] == 200
    deactivated = event("v1.user.updated", {"id": "usr_acme_member", "status": "INACTIVE"})
    assert deliver(deactivated, svix_headers(deactivated)).json()["sessions_ended"] == 1
    assert answers(clients) == {
        "admin@acme.test": 200,
        "member@acme.test": 401,
        "admin@globex.test": 200,
    }


@pytest.mark.parametrize(
    ("event_type", "status"), [("v1.tenant.deleted", None), ("v1.tenant.updated", "INACTIVE")]
)
def test_a_deleted_or_deactivated_tenant_loses_every_session(
    wristband: FakeWristband, event_type: str, status: str | None
) -> None:
    clients = log_in_acme_and_globex(wristband)
    tenant = {"id": "tnt_acme", "name": "acme", **({"status": status} if status else {})}
    body = event(event_type, tenant)
    response = deliver(body, svix_headers(body, prefix="webhook"))  # white-labelled headers
    assert response.json() == {"type": event_type, "sessions_ended": 2}
    assert answers(clients) == {
        "admin@acme.test": 401,
        "member@acme.test": 401,
        "admin@globex.test": 200,
    }
    assert set(LoginSession.objects.values_list("tenant_id", flat=True)) == {"tnt_globex"}


def test_other_events_are_acknowledged_and_end_nothing(wristband: FakeWristband) -> None:
    clients = log_in_acme_and_globex(wristband)
    for event_type in ("v1.user.created", "v1.user.password.updated", "v1.tenant.created"):
        body = event(event_type, {"id": "usr_acme_admin"})
        assert deliver(body, svix_headers(body)).json() == {
            "type": event_type,
            "sessions_ended": 0,
        }
    assert set(answers(clients).values()) == {200}


def refused(response: Any, status: int, clients: dict[str, Client]) -> bool:
    return (
        response.status_code == status
        and response.json()["error"] in {"invalid_delivery", "invalid_event"}
        and set(answers(clients).values()) == {200}
    )


def test_wrongly_signed_deliveries_are_refused_and_end_nothing(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    clients = log_in_acme_and_globex(wristband)
    body = event("v1.tenant.deleted", {"id": "tnt_acme"})
    good = svix_headers(body)
    other_key = svix_headers(body, key=os.urandom(24))
    with caplog.at_level(logging.WARNING, logger="wristband_django"):
        assert refused(deliver(body, other_key), 401, clients)
        tampered = body.replace(b"tnt_acme", b"tnt_globex")
        assert refused(deliver(tampered, good), 401, clients)
        replaced_id = {**good, "svix-id": "msg_other"}
        assert refused(deliver(body, replaced_id), 401, clients)
        later = {**good, "svix-timestamp": str(int(good["svix-timestamp"]) + 1)}
        assert refused(deliver(body, later), 401, clients)
        unversioned = {**good, "svix-signature": good["svix-signature"].removeprefix("v1,")}
        assert refused(deliver(body, unversioned), 401, clients)
        garbage = {**good, "svix-signature": "v1,not base64!! v2,abc ,"}
        assert refused(deliver(body, garbage), 401, clients)
    assert wristband.calls("revoke") == []
    assert sum("Refused a webhook delivery" in line for line in caplog.messages) == 6
    assert not any(good["svix-signature"][3:] in line for line in caplog.messages)


def test_stale_and_future_deliveries_are_refused(wristband: FakeWristband) -> None:
    clients = log_in_acme_and_globex(wristband)
    body = event("v1.user.deleted", {"id": "usr_acme_admin"})
    now = int(time.time())
    for timestamp in (now - 6 * 60, now + 6 * 60):
        response = deliver(body, svix_headers(body, timestamp=timestamp))
        assert refused(response, 401, clients), response.content
        assert "5 minutes" in response.json()["reason"]
    assert deliver(body, svix_headers(body, timestamp=now - 4 * 60)).status_code == 200


def test_a_request_that_is_no_delivery_is_a_400(wristband: FakeWristband) -> None:
    clients = log_in_acme_and_globex(wristband)
    body = event("v1.user.deleted", {"id": "usr_acme_admin"})
    good = svix_headers(body)
    assert refused(deliver(body, {}), 400, clients)
    no_signature = {name: value for name, value in good.items() if name != "svix-signature"}
    assert refused(deliver(body, no_signature), 400, clients)
    assert refused(deliver(body, {**good, "svix-timestamp": "yesterday"}), 400, clients)
    assert refused(deliver(body, {**good, "svix-id": "m" * 300}), 400, clients)
    for bad in (b"not json", b"[1, 2]", event("v1.user.deleted", {"name": "no id"})):
        assert refused(deliver(bad, svix_headers(bad)), 400, clients), bad
    no_object = json.dumps({"type": "v1.tenant.deleted", "data": {}}).encode()
    assert refused(deliver(no_object, svix_headers(no_object)), 400, clients)
    assert Client().get(URL).status_code == 405


def test_a_replayed_delivery_ends_nothing_more(wristband: FakeWristband) -> None:
    clients = log_in_acme_and_globex(wristband)
    body = event("v1.user.deleted", {"id": "usr_acme_admin"})
    headers = svix_headers(body)
    assert deliver(body, headers).json()["sessions_ended"] == 1
    testing.log_in(clients["admin@acme.test"], wristband, "admin@acme.test")  # back (re-created)
    again = deliver(body, headers)
    assert again.status_code == 200
    assert again.json() == {"type": "v1.user.deleted", "sessions_ended": 0, "replayed": True}
    assert answers(clients)["admin@acme.test"] == 200  # the new session was not ended
    assert len(wristband.calls("revoke")) == 1


def test_a_rotated_secret_verifies_with_either_signature(
    wristband: FakeWristband, settings: Any
) -> None:
    new_key = os.urandom(32)
    new_secret = "whsec_" + base64.b64encode(new_key).decode()
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "webhook_signing_secret": [new_secret]}
    clients = log_in_acme_and_globex(wristband)
    body = event("v1.user.deleted", {"id": "usr_globex_admin"})
    old, new = svix_headers(body), svix_headers(body, key=new_key)
    assert deliver(body, old).status_code == 401
    both = {**new, "svix-signature": f"{old['svix-signature']} {new['svix-signature']}"}
    assert deliver(body, both).json()["sessions_ended"] == 1
    assert answers(clients)["admin@globex.test"] == 401


def test_the_view_refuses_to_run_without_a_secret(wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = {
        key: value
        for key, value in settings.WRISTBAND_AUTH.items()
        if key != "webhook_signing_secret"
    }
    body = event("v1.user.deleted", {"id": "usr_acme_admin"})
    with pytest.raises(ImproperlyConfigured, match="webhook_signing_secret"):
        deliver(body, svix_headers(body))


BASE = {
    "client_id": "cid",
    "client_secret": "s" * 32,
    "wristband_application_vanity_domain": "app-co.us.wristband.dev",
}


def test_the_secret_setting_takes_the_portals_secrets_and_names_a_bad_one() -> None:
    config = parse_auth_config({**BASE, "webhook_signing_secret": SECRET})
    assert config.webhook_signing_secret == (SECRET,)
    assert SECRET not in repr(config)
    for bad, problem in (
        ("whsec_not base64!", "is not a whsec_ secret"),
        ("whsec_" + base64.b64encode(b"short").decode(), "at least 16 bytes"),
        ([], "is an empty list"),
        ([SECRET, "whsec_%%%"], "is not a whsec_ secret (item 1)"),
    ):
        with pytest.raises(InvalidSettings) as error:
            parse_auth_config({**BASE, "webhook_signing_secret": bad})
        assert problem in str(error.value)
        assert "Open Portal" in str(error.value)
        assert SECRET not in str(error.value)


@pytest.mark.slow
def test_with_the_store_down_the_delivery_gets_a_503_and_its_retry_acts(
    wristband: FakeWristband, throwaway_redis: Any, settings: Any
) -> None:
    settings.CACHES = {"default": throwaway_redis.cache_settings(0.5)}
    clients = log_in_acme_and_globex(wristband)
    body = event("v1.tenant.deleted", {"id": "tnt_acme"})
    throwaway_redis.stop_keeping_data()
    response = deliver(body, svix_headers(body, message_id="msg_retried"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    throwaway_redis.start()
    assert set(answers(clients).values()) == {200}
    retry = deliver(body, svix_headers(body, message_id="msg_retried"))  # Svix: same id
    assert retry.json() == {"type": "v1.tenant.deleted", "sessions_ended": 2}
    assert answers(clients)["member@acme.test"] == 401


def test_login_required_middleware_lets_deliveries_through(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]
    clients = log_in_acme_and_globex(wristband)
    body = event("v1.user.deleted", {"id": "usr_globex_admin"})
    assert deliver(body, svix_headers(body)).json()["sessions_ended"] == 1
    assert answers(clients)["admin@globex.test"] == 401
