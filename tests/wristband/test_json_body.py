"""Wristband's answers are parsed with a depth bound: a body nested thousands deep is refused
before the parser runs, so it never recurses to the interpreter's limit (where a finalizer
the garbage collector runs meanwhile fails as an unraisable exception, seen as a flaky
failure of the JWKS-shapes test)."""

from __future__ import annotations

import inspect
import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wristband_django.wristband.answers import MAX_JSON_DEPTH, json_body


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_a_body_nested_too_deep_is_refused_without_recursing(opening: bytes, levels: int) -> None:
    body = b'{"keys": ' + opening * levels
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 50)  # json's parser would exceed this
    try:
        with pytest.raises(ValueError, match="nested deeper"):
            json_body(body)
    finally:
        sys.setrecursionlimit(limit)


def test_a_body_nested_to_the_bound_parses() -> None:
    body = b"[" * (MAX_JSON_DEPTH - 1) + b'{"kid": 1}' + b"]" * (MAX_JSON_DEPTH - 1)
    value = json_body(body)
    for _ in range(MAX_JSON_DEPTH - 1):
        value = value[0]
    assert value == {"kid": 1}


@pytest.mark.parametrize(
    "text",
    ["[" * 100, '"' + "{" * 100, "[{" * 40 + "\\", "\\" + '"[' * 40],
    ids=["brackets", "after a quote", "before a backslash", "after a backslash"],
)
def test_brackets_inside_strings_do_not_count(text: str) -> None:
    body = json.dumps({"keys": [{"kid": text}]}).encode()  # quotes and backslashes escaped
    assert json_body(body)["keys"][0]["kid"] == text


@pytest.mark.parametrize(
    "body",
    [b"", b"<html>", b'{"keys": [', b'"unterminated' + b"a" * 100_000, b"\xff\xfe{}", b"{]"],
)
def test_what_is_not_json_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"Expecting|Unterminated|Extra data|decode"):
        json_body(body)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\\\ ab\u00e9\u2028'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\\\a', max_size=4), children, max_size=3)
    ),
    max_leaves=12,
)


@given(JSON_VALUES)
def test_any_json_within_the_bound_parses_as_json_parses_it(value: object) -> None:
    body = json.dumps(value, ensure_ascii=False).encode()
    assert json_body(body) == json.loads(body)
