"""Requests to Wristband prepared as ``requests.Session`` would prepare them, the costly part
once per endpoint.

Preparing a request with requests (its URL, the default headers, HTTP Basic credentials, a
form body) costs more than the rest of this package's own work for a call, and every call to
an endpoint repeats the same URL and headers. ``PreparedRequests`` prepares each method, URL
and credentials once, with requests itself, and hands out copies with the call's form body
and extra headers added (each header checked as requests checks it). Anything else (a JSON
body, another client's credentials) is prepared in full on every call.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from requests.auth import AuthBase
from requests.utils import check_header_validity

FORM = "application/x-www-form-urlencoded"
#: The client's endpoints are a handful of fixed paths; this bounds the memory regardless.
MAX_TEMPLATES = 16


class PreparedRequests:
    """Prepared requests to one base URL, with ``headers`` on each and, where asked for,
    ``credentials`` (this application's HTTP Basic auth)."""

    def __init__(self, base_url: str, headers: Mapping[str, str], credentials: AuthBase):
        self.base_url = base_url
        self.headers = dict(headers)
        self.credentials = credentials
        self._lock = threading.Lock()
        self._prepared: dict[tuple[str, str, bool], requests.PreparedRequest] = {}

    def prepare(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: AuthBase | tuple[str, str] | None = None,
        data: Any = None,
        **body: Any,
    ) -> requests.PreparedRequest:
        """Return the request; ``data`` is form-encoded, ``json`` is JSON-encoded and ``auth``
        is applied, as requests does."""
        quick = not body and (auth is None or auth is self.credentials)
        if not quick or not (data is None or isinstance(data, dict)):
            request = requests.PreparedRequest()
            request.prepare(
                method=method,
                url=f"{self.base_url}{path}",
                headers={**self.headers, **(headers or {})},
                auth=auth,
                data=data,
                **body,
            )
            return request
        request = self._template(method, path, auth is not None).copy()
        for name, value in (headers or {}).items():
            check_header_validity((name, value))
            request.headers[name] = value
        if data:  # an empty form is no body, as for requests
            fields = [(name, value) for name, value in data.items() if value is not None]
            request.body = urlencode(fields)  # text, as requests encodes a dict
            request.headers["Content-Type"] = FORM
            request.headers["Content-Length"] = str(len(request.body))
        return request

    def _template(self, method: str, path: str, with_credentials: bool) -> requests.PreparedRequest:
        key = (method, path, with_credentials)
        template = self._prepared.get(key)
        if template is None:
            template = requests.PreparedRequest()
            template.prepare(
                method=method,
                url=f"{self.base_url}{path}",
                headers=self.headers,
                auth=self.credentials if with_credentials else None,
            )
            with self._lock:
                if len(self._prepared) < MAX_TEMPLATES:
                    self._prepared[key] = template
        return template
