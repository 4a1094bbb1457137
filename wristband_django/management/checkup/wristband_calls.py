"""The calls ``wristband_check`` makes to Wristband, and what their failures mean.

The credentials are verified with a call that authenticates the client and changes nothing:
RFC 7009's token revocation of a token that was never issued. Wristband authenticates the
client first (HTTP Basic ``client_id:client_secret``, as for the token endpoint): wrong
credentials get 401 ``invalid_client``, right ones 200, since revoking an unknown token is
not an error (RFC 7009, 2.2). The SDK-configuration endpoint cannot tell: Wristband may
ignore its credentials. The token endpoint could (a refresh grant with a made-up token gets
400 ``invalid_grant`` with good credentials), but revocation is the call whose success
answer, for a token it does not know, says only that the client was authenticated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from wristband_django.conf import AuthConfig
from wristband_django.errors import WristbandError
from wristband_django.wristband.client import get_client

#: Revoked to verify the credentials: no token Wristband issues looks like it.
PROBE_TOKEN = "wristband-check-probe-not-a-token"  # noqa: S105 - not a secret
CREDENTIALS_HINT = "check client_id/client_secret"


def describe(exc: WristbandError) -> str:
    """Describe ``exc`` as ``error: description (HTTP status)``, in Wristband's words.

    The description never holds a token or secret."""
    text = f"{exc.error}: {exc.error_description}" if exc.error_description else exc.error
    return f"{text} (HTTP {exc.status})" if exc.status else text


def refused_credentials(exc: WristbandError) -> bool:
    """Tell whether Wristband's answer means it does not know these client credentials."""
    return exc.error == "invalid_client" or exc.status in (401, 403)


@dataclass(frozen=True)
class Verdict:
    """What a check found: ``ok``, ``failed``, or ``unsure`` (a warning), and the words."""

    outcome: Literal["ok", "failed", "unsure"]
    text: str


def verify_credentials(config: AuthConfig) -> Verdict:
    """Revoke ``PROBE_TOKEN`` with the client's credentials, and say what the answer means."""
    try:
        get_client(config).revoke(PROBE_TOKEN)
    except WristbandError as exc:
        if refused_credentials(exc):
            return Verdict(
                "failed",
                f"Wristband refused client_id {config.client_id} with this client_secret: "
                f"{describe(exc)}; {CREDENTIALS_HINT}",
            )
        if exc.retryable or exc.status is None:  # an outage, or no answer: nothing verified
            return Verdict("failed", f"could not verify the credentials: {describe(exc)}")
        return Verdict(
            "unsure",
            "could not tell whether Wristband accepts client_id/client_secret: revoking a "
            f"made-up token was answered {describe(exc)}",
        )
    return Verdict("ok", "client_id and client_secret accepted (token revocation)")
