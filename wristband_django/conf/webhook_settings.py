"""The ``WRISTBAND_AUTH`` key of the optional webhook view
(``wristband_django.contrib.webhooks``), which ``conf.parsing.SETTINGS`` lists with the
others: the endpoint's signing secret, as Wristband's webhook portal (Svix) shows it."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from wristband_django.conf import fields
from wristband_django.conf.setting import Setting

#: What a signing secret starts with in the portal; the base64 key follows it.
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
#: The fewest bytes a signing key may have (the portal's have 24 or more).
MIN_KEY_BYTES = 16
PORTAL_HINT = (
    "copy the endpoint's Signing Secret (whsec_...) from Wristband's webhook portal "
    "(Webhooks > Open Portal > Endpoints)"
)


def signing_key(secret: str) -> bytes:
    """Return the HMAC key of a signing secret: the bytes its base64 text (after ``whsec_``)
    stands for. The URL-safe alphabet and missing ``=`` padding are accepted too. Raise
    ``ValueError`` for text that is no base64."""
    text = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except binascii.Error as exc:
        raise ValueError("is not base64") from exc


def signing_secrets(key: str, value: Any) -> tuple[str, ...]:
    """Return one signing secret or a list of them (while the portal rotates a secret, both
    verify) as a tuple; ``None`` gives an empty tuple (the webhook view refuses to run)."""
    if value is None:
        return ()
    secrets = (
        (fields.string(key, value),) if isinstance(value, str) else fields.string_list(key, value)
    )
    if not secrets:
        raise fields.fail(key, "is an empty list", PORTAL_HINT)
    for position, secret in enumerate(secrets):
        where = "" if isinstance(value, str) else f" (item {position})"
        try:
            size = len(signing_key(secret))
        except ValueError:
            raise fields.fail(key, f"is not a whsec_ secret{where}", PORTAL_HINT) from None
        if size < MIN_KEY_BYTES:
            raise fields.fail(
                key, f"must hold at least {MIN_KEY_BYTES} bytes{where}, got {size}", PORTAL_HINT
            )
    return secrets


WEBHOOK_SETTINGS: dict[str, Setting] = {
    "webhook_signing_secret": Setting(
        signing_secrets,
        "The signing secret (`whsec_...`) of your webhook endpoint in Wristband's webhook "
        "portal, or a list of them; only `wristband_django.contrib.webhooks` reads it. "
        "`None`: that view refuses to run. See "
        "[Wristband's webhooks](deployment.md#wristbands-webhooks).",
        default="`None`",
        example='os.environ["WRISTBAND_WEBHOOK_SECRET"]',
    ),
}
