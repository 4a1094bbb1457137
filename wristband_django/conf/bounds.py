"""The bounds ``WRISTBAND_AUTH`` values are held to, each with the guarantee it keeps.

The key parsers, the checks across keys and the configuration reference's descriptions all
read them from here, so that a message and the documentation name the same number.
"""

from __future__ import annotations

#: Clock skew tolerated on JWT times; more would keep expired tokens usable for long.
MAX_JWT_LEEWAY = 300
#: Time a refresh lock must outlive the refresh deadline (the holder's own store writes),
#: and the margin it is given when ``refresh_lock_timeout`` is not set.
LOCK_MARGIN_SECONDS = 3.0
DEFAULT_LOCK_MARGIN_SECONDS = 5.0
#: Login cookies must leave room for the app's own under the common 8 KB header limit, and
#: hold three pending logins with a return URL.
LOGIN_COOKIE_BUDGET_RANGE = (4096, 6144)
