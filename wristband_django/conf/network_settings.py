"""The ``WRISTBAND_AUTH`` keys of how the calls reach Wristband (timeouts, proxy, CA bundle),
which ``conf.parsing.SETTINGS`` lists with the others, in this order."""

from __future__ import annotations

from wristband_django.conf import fields, proxies
from wristband_django.conf.setting import Setting

NETWORK_SETTINGS: dict[str, Setting] = {
    "connect_timeout": Setting(
        fields.positive_number,
        "Seconds to connect to Wristband (never unlimited).",
        example="3",
    ),
    "read_timeout": Setting(
        fields.positive_number,
        "Seconds to wait for any one read from Wristband (never unlimited).",
        example="10",
    ),
    "call_timeout": Setting(
        fields.positive_number,
        "Total seconds one call to Wristband may take: connecting, sending and every byte of "
        "the answer, however slowly it trickles. A tighter flow deadline below wins.",
        example="8",
    ),
    "callback_timeout": Setting(
        fields.positive_number,
        "Total seconds for all of a callback's calls to Wristband together (code exchange, "
        "keys, userinfo).",
        example="20",
    ),
    "proxy_url": Setting(
        proxies.proxy_url,
        "The proxy every call to Wristband goes through: `http://host:port` (`https://` for "
        "TLS to the proxy; credentials as `http://user:password@host:port`, percent-encoded "
        "(`#` as `%23`, `@` as `%40`), never shown). "
        "`None`: the environment's, as requests reads it (`HTTPS_PROXY`, `ALL_PROXY`; "
        "`HTTP_PROXY` for an `http` identity provider), unless `NO_PROXY` lists Wristband's "
        "host; `False`: no proxy, whatever the environment says. See "
        "[Proxies and private CAs](#proxies-and-private-cas).",
        default="`None` (the environment's)",
        example='"http://proxy.corp.example:3128"',
    ),
    "ca_bundle": Setting(
        fields.ca_bundle,
        "Path of a PEM file (or an OpenSSL hashed directory) with the CA certificates that "
        "Wristband's certificate is checked against, instead of the default ones. `None`: "
        "the first of `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE` (requests' variables), "
        "`SSL_CERT_FILE` and `SSL_CERT_DIR` (OpenSSL's) that is set, else certifi's public "
        "CAs (requests' default). See [Proxies and private CAs](#proxies-and-private-cas).",
        default="`None` (the environment's)",
        example='"/etc/ssl/certs/corp-bundle.pem"',
    ),
}
