"""Optional OpenTelemetry instrumentation: spans and metrics of logins, callbacks, refreshes,
logouts and calls to Wristband, and counts of store outages, JWKS fetches and lock waits.

Whether OpenTelemetry's API is installed (the ``otel`` extra) is decided once, when this
package is first imported. With it, the functions below are those of ``telemetry.otel`` and
``telemetry.otel_flows``: they record through the API, which records nothing until the
project installs an SDK. Without it, they are ``telemetry.noop``'s: the decorators return
the function they are given unchanged, and the rest do nothing.

The flows, the Wristband client and the store call these functions; this package imports
none of them (it sits below every layer, beside ``errors`` and ``types``). Nothing recorded
holds a token, code, secret, email, state, nonce, session key or cookie value
(``telemetry.describe`` makes every value); the Observability page of the docs lists every
span, instrument and attribute.
"""

from __future__ import annotations

try:
    import opentelemetry.metrics
    import opentelemetry.trace  # noqa: F401 - both halves of the API, or neither is used
except ImportError:
    ENABLED = False
else:
    ENABLED = True

if ENABLED:
    from wristband_django.telemetry.otel import (
        answered,
        call,
        counts_store_outages,
        jwks_fetch,
        lock_wait,
        store_outage,
        treat_as_store_outage,
    )
    from wristband_django.telemetry.otel_flows import (
        traced_callback,
        traced_login,
        traced_logout,
        traced_refresh,
    )
else:
    from wristband_django.telemetry.noop import (
        answered,
        call,
        counts_store_outages,
        jwks_fetch,
        lock_wait,
        store_outage,
        traced_callback,
        traced_login,
        traced_logout,
        traced_refresh,
        treat_as_store_outage,
    )

__all__ = [
    "ENABLED",
    "answered",
    "call",
    "counts_store_outages",
    "jwks_fetch",
    "lock_wait",
    "store_outage",
    "traced_callback",
    "traced_login",
    "traced_logout",
    "traced_refresh",
    "treat_as_store_outage",
]
