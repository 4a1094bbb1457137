"""``Route``: how calls reach Wristband, through which proxy and trusting which CAs.

The settings ``proxy_url`` and ``ca_bundle`` win; without them, the environment's variables
as requests reads them. A proxy variable that is not a proxy URL is never used (requests
would send part of its credentials to whatever host it made of the rest): calls fail with a
message naming the variable. A proxy URL is only ever shown redacted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from urllib.request import getproxies

from requests.utils import should_bypass_proxies

from wristband_django.conf import AuthConfig
from wristband_django.conf.proxies import (
    ENVIRONMENT_SCHEMES,
    PERCENT_ENCODING_HINT,
    proxy_url_problem,
)
from wristband_django.wristband import redaction

#: Where a CA bundle is looked for when ``ca_bundle`` is not set: requests' two variables,
#: then OpenSSL's (which requests itself ignores).
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
PROXY_SETTING = "the proxy_url setting"
CA_BUNDLE_SETTING = "the ca_bundle setting"


@dataclass(frozen=True)
class Route:
    """How calls reach Wristband: through ``proxy`` (``None``: directly), trusting the CAs of
    ``ca_bundle`` (``None``: requests' default, certifi's), and where each came from: a
    setting or an environment variable ("" for the defaults). ``proxy_problem`` says why
    the proxy variable is not a proxy URL (calls then fail instead of using it)."""

    proxy: str | None = field(default=None, repr=False)  # may carry a password
    proxy_source: str = ""
    ca_bundle: str | None = None
    ca_bundle_source: str = ""
    https: bool = True
    proxy_problem: str | None = None

    @classmethod
    def resolve(cls, config: AuthConfig, url: str) -> Route:
        """Return the route for calls to ``url`` (one host: the vanity domain).

        The settings come first, then the environment, read now.
        """
        proxy, proxy_source = _resolve_proxy(config, url)
        problem = None
        if proxy is not None and proxy_source != PROXY_SETTING:  # the setting is checked
            problem = proxy_url_problem(proxy, ENVIRONMENT_SCHEMES)
        bundle, bundle_source = config.ca_bundle, CA_BUNDLE_SETTING
        if bundle is None:
            found = ((os.environ.get(name), name) for name in CA_BUNDLE_VARIABLES)
            bundle, bundle_source = next(((v, n) for v, n in found if v), (None, ""))
        return cls(
            proxy=proxy,
            proxy_source=proxy_source,
            ca_bundle=bundle,
            ca_bundle_source=bundle_source,
            https=urlsplit(url).scheme == "https",
            proxy_problem=problem,
        )

    def __str__(self) -> str:
        """Return the route for a log line, with each source named.

        The proxy's credentials are redacted, and a proxy variable that is not a proxy URL
        is not shown at all.
        """
        if self.proxy_problem is not None:
            proxy = f"proxy from {self.proxy_source}, unusable: it {self.proxy_problem}"
        elif self.proxy is not None:
            proxy = f"proxy {redaction.redact_credentials(self.proxy)} (from {self.proxy_source})"
        elif self.proxy_source == PROXY_SETTING:
            proxy = "no proxy (the proxy_url setting is False)"
        elif self.proxy_source:
            proxy = f"no proxy ({self.proxy_source} lists the host)"
        else:
            proxy = "no proxy"
        if not self.https:
            bundle = "no TLS (http)"
        elif self.ca_bundle is None:
            bundle = "CA bundle: certifi's (requests' default)"
        else:
            bundle = f"CA bundle {self.ca_bundle} (from {self.ca_bundle_source})"
        return f"{proxy}, {bundle}"

    def problem(self) -> tuple[str, str] | None:
        """Return the error code and description of why no call can be made on this route.

        Return ``None`` when one can, as far as the settings and the environment tell.
        """
        if self.proxy_problem is not None:
            return (
                "proxy_error",
                f"the proxy URL in {self.proxy_source} {self.proxy_problem} "
                f"({PERCENT_ENCODING_HINT})",
            )
        bundle_problem = self.ca_bundle_problem()
        return None if bundle_problem is None else ("tls_error", bundle_problem)

    def ca_bundle_problem(self) -> str | None:
        """Return why the CA bundle cannot be used, or ``None`` if its path shows no problem."""
        if not self.https or self.ca_bundle is None or os.path.exists(self.ca_bundle):
            return None
        return f"the CA bundle {self.ca_bundle_source} names does not exist: is the path right?"

    def ca_hint(self) -> str:
        """Return what to check when no trusted CA issued Wristband's certificate."""
        if self.ca_bundle_source == CA_BUNDLE_SETTING:
            hint = "is your CA in the file the ca_bundle setting names?"
        elif self.ca_bundle_source == "REQUESTS_CA_BUNDLE":
            hint = "is your CA in REQUESTS_CA_BUNDLE?"
        elif self.ca_bundle_source:
            hint = (
                f"is your CA in the bundle {self.ca_bundle_source} names? (REQUESTS_CA_BUNDLE "
                "or the ca_bundle setting would win over it)"
            )
        else:
            hint = "is your CA in REQUESTS_CA_BUNDLE? (none is set: only public CAs are trusted)"
        if self.proxy is not None:
            hint += " A proxy that inspects TLS presents certificates of its own CA."
        return hint


def _resolve_proxy(config: AuthConfig, url: str) -> tuple[str | None, str]:
    """Return the proxy for ``url`` and its source: the ``proxy_url`` setting, else the environment.

    From the environment, the proxy is chosen as requests would choose it: ``{scheme}_proxy``,
    then ``all_proxy``, in any case, with ``NO_PROXY`` applied; a proxy without a scheme means
    ``http://``.
    """
    if config.proxy_url is False:
        return None, PROXY_SETTING
    if config.proxy_url:
        return config.proxy_url, PROXY_SETTING
    environment = getproxies()
    scheme = urlsplit(url).scheme
    key = next((key for key in (scheme, "all") if environment.get(key)), None)
    if key is None:
        return None, ""
    if should_bypass_proxies(url, no_proxy=None):
        return None, "NO_PROXY"
    proxy = environment[key]
    return (proxy if redaction.scheme_prefix(proxy) else f"http://{proxy}"), f"{key.upper()}_PROXY"
