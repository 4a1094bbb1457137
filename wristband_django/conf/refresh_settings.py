"""The ``WRISTBAND_AUTH`` keys of the token refresh (its attempts, deadline and lock, and what
an outage does to the session), which ``conf.parsing.SETTINGS`` lists with the others, in
this order."""

from __future__ import annotations

from wristband_django.conf import fields
from wristband_django.conf.auth_config import AuthConfig
from wristband_django.conf.bounds import DEFAULT_LOCK_MARGIN_SECONDS, LOCK_MARGIN_SECONDS
from wristband_django.conf.setting import Setting

REFRESH_SETTINGS: dict[str, Setting] = {
    "refresh_max_attempts": Setting(
        fields.positive_int,
        "Attempts per refresh for complete 5xx answers and failures before the request "
        "leaves; a grant sent without a complete answer is never retried.",
        example="5",
    ),
    "refresh_timeout": Setting(
        fields.positive_number,
        "Seconds all of one refresh may take together: every attempt, the backoff, and "
        "fetching Wristband's keys.",
        example="8",
    ),
    "keep_session_when_wristband_unavailable": Setting(
        fields.boolean,
        "When a refresh still fails after its retries on 5xx answers or failures to connect: "
        "`False` ends the session (Wristband's rule, 401); `True` keeps it and "
        "answers 503 with `Retry-After` until Wristband answers again (the session's next "
        "refresh is tried 5 s later). `invalid_grant`, other 4xx and a grant sent without a "
        "complete answer end it either way. See "
        "[When Wristband is down]"
        "(middleware-and-refresh.md#when-wristband-is-down-at-refresh-time).",
        example="True",
    ),
    "refresh_lock_timeout": Setting(
        fields.positive_number,
        "Seconds a refresh lock lives (a crashed holder's lock expires then); at least "
        f"`refresh_timeout` + {LOCK_MARGIN_SECONDS:g}, or `manage.py check` fails. Logout and "
        "the admin wait for it at most this long.",
        default=f"`refresh_timeout` + {DEFAULT_LOCK_MARGIN_SECONDS:g} "
        f"(`{AuthConfig.refresh_timeout + DEFAULT_LOCK_MARGIN_SECONDS:g}`)",
        example="20",
    ),
}
