"""HTTP responses produced by the fake's endpoints."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


@dataclass(frozen=True)
class Response:
    """A complete HTTP response."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json", headers or {})


def error_response(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> Response:
    return json_response({"error": error, "error_description": description}, status, headers)


def html_response(html: str, status: int = 200) -> Response:
    return Response(status, html.encode(), "text/html; charset=utf-8")


def text_response(text: str, status: int) -> Response:
    return Response(status, text.encode(), "text/plain; charset=utf-8")


def redirect(location: str) -> Response:
    return Response(
        302, b"", "text/plain; charset=utf-8", {"Location": location, "Cache-Control": "no-store"}
    )


def with_params(url: str, params: Mapping[str, str | None]) -> str:
    """Return `url` with `params` appended to its existing query; None values are skipped."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment
