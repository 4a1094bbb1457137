"""Checking that a webhook delivery comes from Wristband, as its webhook service (Svix)
signs them: usable on its own, for events ``contrib.webhooks`` does not handle.

Wristband sends its webhooks through Svix ("Wristband webhooks are powered by Svix"), and
each delivery is signed as Svix documents it ("Verifying Webhooks Manually"):

- three headers: ``svix-id`` (the message's id, the same on every retry of one message),
  ``svix-timestamp`` (seconds since the epoch) and ``svix-signature`` (space-separated
  ``v1,<base64>`` signatures: two while a secret is being rotated), or the same three named
  ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``;
- each signature is the HMAC-SHA256, keyed with the endpoint's signing secret (the bytes of
  the base64 after ``whsec_``), of ``{id}.{timestamp}.{body}``, the body exactly as sent;
- a timestamp more than five minutes from now is refused (Svix's own libraries' tolerance),
  so a captured delivery cannot be replayed later; ``contrib.webhooks`` also remembers the
  ids it acted on for that long.

Signatures are compared in constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from wristband_django.conf.webhook_settings import signing_key

__all__ = [
    "TOLERANCE_SECONDS",
    "VerifiedDelivery",
    "WebhookVerificationError",
    "verify_webhook",
]

#: How far a delivery's timestamp may be from now, either way (Svix's libraries: 5 minutes).
TOLERANCE_SECONDS: Final = 5 * 60
#: The header prefixes Svix signs with: its own, and the white-labelled one.
HEADER_PREFIXES: Final = ("svix-", "webhook-")
#: The only signature version a shared secret makes (others, e.g. ``v1a``, are skipped).
VERSION: Final = "v1"
_MAX_ID_LENGTH = 256
_MAX_TIMESTAMP_DIGITS = 12


class WebhookVerificationError(Exception):
    """A request that is not a delivery signed with the endpoint's secret. ``status`` is the
    answer it deserves: 400 when it is no signed delivery at all (headers missing or
    malformed, a body that is no JSON object), 401 when the signature or the timestamp does
    not verify. ``reason`` says which, without any value of the request."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class VerifiedDelivery:
    """A delivery whose signature verified: its message id, timestamp and event."""

    message_id: str
    timestamp: int
    event: dict[str, Any]


def _signed_headers(headers: Mapping[str, str]) -> tuple[str, str, str]:
    lowered = {name.lower(): value for name, value in headers.items()}
    for prefix in HEADER_PREFIXES:
        found = [lowered.get(f"{prefix}{name}", "") for name in ("id", "timestamp", "signature")]
        if all(found):
            return found[0], found[1], found[2]
    raise WebhookVerificationError("the svix-id, svix-timestamp and svix-signature headers", 400)


def _timestamp(text: str, now: float) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_TIMESTAMP_DIGITS:
        raise WebhookVerificationError("a timestamp that is no number of seconds", 400)
    timestamp = int(text)
    if timestamp < now - TOLERANCE_SECONDS:
        raise WebhookVerificationError("a timestamp more than 5 minutes old", 401)
    if timestamp > now + TOLERANCE_SECONDS:
        raise WebhookVerificationError("a timestamp more than 5 minutes ahead", 401)
    return timestamp


def _signatures(header: str) -> list[bytes]:
    """Return the ``v1`` signatures of the header, decoded; malformed entries are skipped."""
    found = []
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        if version != VERSION or not encoded:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except binascii.Error:
            continue
    return found


def signature(secret: str, message_id: str, timestamp: str, body: bytes) -> bytes:
    """Return the HMAC-SHA256 a delivery of ``body`` is signed with under ``secret``
    (``timestamp`` as its header has it)."""
    content = f"{message_id}.{timestamp}.".encode() + body
    return hmac.new(signing_key(secret), content, hashlib.sha256).digest()


def verify_webhook(
    secrets: Sequence[str], headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> VerifiedDelivery:
    """Return the delivery ``headers`` and ``body`` make if one of its ``v1`` signatures is
    the HMAC of one of ``secrets`` (the endpoint's signing secrets) and its timestamp is
    within ``TOLERANCE_SECONDS`` of ``now`` (default: the clock); raise
    ``WebhookVerificationError`` otherwise, or for a body that is no JSON object."""
    message_id, timestamp_text, signature_header = _signed_headers(headers)
    if len(message_id) > _MAX_ID_LENGTH:
        raise WebhookVerificationError("a message id over 256 characters", 400)
    timestamp = _timestamp(timestamp_text, time.time() if now is None else now)
    offered = _signatures(signature_header)
    expected = [signature(secret, message_id, timestamp_text.strip(), body) for secret in secrets]
    # Every pair is compared, each in constant time: how many bytes match is not timed.
    matches = [hmac.compare_digest(mine, theirs) for mine in expected for theirs in offered]
    if not any(matches):
        raise WebhookVerificationError("no signature made with the signing secret", 401)
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookVerificationError("a body that is not JSON", 400) from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("a body that is no JSON object", 400)
    return VerifiedDelivery(message_id, timestamp, event)
