"""What Wristband's answers mean: the token endpoint's success as a ``TokenResponse``, and
any error answer as the ``WristbandError`` it stands for.

An answer's body is checked before it is used: a missing or mistyped field raises
``InvalidResponseError``, never a ``KeyError`` or ``TypeError`` further on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import requests

from wristband_django.errors import (
    InvalidGrantError,
    InvalidResponseError,
    WristbandError,
    WristbandUnavailableError,
)

#: Characters of Wristband's ``error_description`` kept (it ends up in logs and pages).
MAX_DESCRIPTION_LENGTH = 300

#: Arrays and objects nested deeper than this are refused before parsing. Wristband's answers
#: nest three levels at most; a body nested thousands deep would otherwise make the parser
#: recurse to the interpreter's limit, where any finalizer the garbage collector runs fails.
MAX_JSON_DEPTH = 32
_JSON_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")


def json_body(content: bytes) -> Any:
    """Return the JSON value in ``content``; raise ``ValueError`` if it is not JSON or nests
    deeper than ``MAX_JSON_DEPTH``.

    The depth is counted outside strings, before the parser runs, so no answer can make it
    recurse.
    """
    brackets = content.translate(None, _NOT_BRACKETS)  # strings' brackets too: an upper bound
    if brackets.count(b"[") + brackets.count(b"{") <= MAX_JSON_DEPTH:
        return json.loads(content)  # cannot nest deeper (the usual answer: no string is read)
    brackets = _JSON_STRINGS.sub(b"", content).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") > MAX_JSON_DEPTH:
        depth = 0
        for byte in brackets:
            depth += 1 if byte in b"[{" else -1
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(content)


@dataclass(frozen=True)
class TokenResponse:
    """A successful answer of the token endpoint."""

    access_token: str = field(repr=False)
    expires_in: int
    token_type: str
    id_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    scope: str = ""

    @classmethod
    def from_json(cls, body: Any) -> TokenResponse:
        """Return the token response in ``body``; raise ``InvalidResponseError`` for a bad one.

        A body is bad when a field is missing or of the wrong type.
        """
        if not isinstance(body, dict):
            raise InvalidResponseError(
                "invalid_token_response", "the token response is not an object"
            )
        access_token = body.get("access_token")
        expires_in = body.get("expires_in")
        if not isinstance(access_token, str) or not access_token:
            raise InvalidResponseError("invalid_token_response", "access_token is missing")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
            raise InvalidResponseError(
                "invalid_token_response", "expires_in is missing or not a positive integer"
            )
        optional = {}
        for name in ("id_token", "refresh_token", "scope", "token_type"):
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise InvalidResponseError("invalid_token_response", f"{name} is not a string")
            optional[name] = value
        return cls(
            access_token=access_token,
            expires_in=expires_in,
            token_type=optional["token_type"] or "Bearer",
            id_token=optional["id_token"] or None,
            refresh_token=optional["refresh_token"] or None,
            scope=optional["scope"] or "",
        )


def error_from_response(response: requests.Response) -> WristbandError:
    """Return the error that a non-2xx answer stands for.

    A 5xx is a ``WristbandUnavailableError``, ``invalid_grant`` an ``InvalidGrantError``, and
    anything else a ``WristbandError``. The error carries Wristband's own code and
    (shortened) description when its body gives them.
    """
    status = response.status_code
    error, description = "", ""
    try:
        body = json_body(response.content)
    except ValueError:  # not JSON, or nested too deep (UnicodeDecodeError is a ValueError)
        body = None
    if isinstance(body, dict):
        raw_error = body.get("error")
        error = raw_error if isinstance(raw_error, str) else ""
        raw_description = body.get("error_description")
        if isinstance(raw_description, str):
            description = raw_description[:MAX_DESCRIPTION_LENGTH]
    if not error:
        kind = "JSON without an error code" if isinstance(body, dict) else "a non-JSON body"
        error = "server_error" if status >= 500 else "http_error"
        description = f"Wristband answered HTTP {status} with {kind}"
    if status >= 500:
        return WristbandUnavailableError(error, description, status=status)
    if error == "invalid_grant":
        return InvalidGrantError(error, description, status=status)
    return WristbandError(error, description, status=status)
